// FusedBatchNorm and ResizeBilinear entries: unpack the options, call the engine.
#include <vector>

#include "args.h"
#include "batch_norm_options.h"
#include "effnet/normalize.h"
#include "families.h"
#include "shape_options.h"

namespace binding {
namespace {

// Options: x, out, mean, variance (buffer ids), size, meanSize, varianceSize; optional offset +
// offsetSize, scale + scaleSize; varianceEpsilon.
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const char* op = "FusedBatchNorm";
  Args args(info, op);
  const auto o = read_batch_norm<effnet::BatchNormOperand>(args);
  try {
    effnet::batch_norm(o.x, o.size, o.mean, o.variance, o.offset, o.scale, o.epsilon, o.out);
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
  const effnet::DType dtype = read_resize_bilinear_shape(args, p);
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
