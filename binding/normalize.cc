// FusedBatchNorm and ResizeBilinear entries: unpack the options, call the engine.
#include <vector>

#include "args.h"
#include "effnet/normalize.h"
#include "families.h"

namespace binding {
namespace {

// Options: x, out, mean, variance (buffer ids), size, meanSize, varianceSize; optional offset +
// offsetSize, scale + scaleSize; varianceEpsilon.
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const char* op = "FusedBatchNorm";
  Args args(info, op);
  std::vector<effnet::BufferPtr> keep;
  const int64_t size = args.integer("size");
  if (size < 0) args.fail("negative size");
  const size_t n = static_cast<size_t>(size);
  auto operand = [&](const char* key, const char* size_key) {
    effnet::BatchNormOperand o;
    if (!args.has(key)) return o;
    const int64_t s = args.integer(size_key);
    if (s < 1) args.fail(std::string("'") + key + "' must have at least one value");
    o.size = static_cast<size_t>(s);
    o.data = args.data<float>(key, o.size, effnet::DType::kFloat32, keep);
    return o;
  };
  const float* x = args.data<float>("x", n, effnet::DType::kFloat32, keep);
  float* out = args.data<float>("out", n, effnet::DType::kFloat32, keep);
  const effnet::BatchNormOperand mean = operand("mean", "meanSize");
  const effnet::BatchNormOperand variance = operand("variance", "varianceSize");
  if (mean.data == nullptr || variance.data == nullptr) args.fail("mean and variance are required");
  const effnet::BatchNormOperand offset = operand("offset", "offsetSize");
  const effnet::BatchNormOperand scale = operand("scale", "scaleSize");
  const double eps = args.number_or("varianceEpsilon", 0.001);
  try {
    effnet::batch_norm(x, n, mean, variance, offset, scale, eps, out);
  } catch (const effnet::Error& e) {
    args.fail(e.what());
  }
  return info.Env().Undefined();
}

// Options: x, out (buffer ids); dtype ('float32' | 'int32'); batch, inH, inW, channels, outH, outW,
// alignCorners, halfPixelCenters.
Napi::Value ResizeBilinear(const Napi::CallbackInfo& info) {
  const char* op = "ResizeBilinear";
  Args args(info, op);
  effnet::ResizeBilinearParams p;
  p.batch = args.integer("batch");
  p.in_h = args.integer("inH");
  p.in_w = args.integer("inW");
  p.channels = args.integer("channels");
  p.out_h = args.integer("outH");
  p.out_w = args.integer("outW");
  p.align_corners = args.boolean_or("alignCorners", false);
  p.half_pixel_centers = args.boolean_or("halfPixelCenters", false);
  const effnet::DType dtype = args.dtype("dtype");
  if (dtype != effnet::DType::kFloat32 && dtype != effnet::DType::kInt32) {
    args.fail("unsupported images dtype; supported: float32, int32");
  }
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels}, op);
  std::vector<effnet::BufferPtr> keep;
  float* out = args.data<float>("out", o_n, effnet::DType::kFloat32, keep);
  void* x = args.data<void>("x", x_n, dtype, keep);
  try {
    if (dtype == effnet::DType::kFloat32) {
      effnet::resize_bilinear(p, static_cast<const float*>(x), out);
    } else {
      effnet::resize_bilinear(p, static_cast<const int32_t*>(x), out);
    }
  } catch (const effnet::Error& e) {
    args.fail(e.what());
  }
  return info.Env().Undefined();
}

}  // namespace

void init_normalize(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "batchNorm", BatchNorm);
  export_entry(env, exports, "resizeBilinear", ResizeBilinear);
}

}  // namespace binding
