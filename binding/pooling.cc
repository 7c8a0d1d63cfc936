// AvgPool and MaxPool entries: unpack the options, call the engine.
#include <vector>

#include "args.h"
#include "effnet/pooling.h"
#include "families.h"
#include "shape_options.h"

namespace binding {
namespace {

// Options: x, out (buffer ids); batch, inH, inW, channels, filterH, filterW, strideH, strideW,
// padTop, padLeft, outH, outW.
Napi::Value Run(const Napi::CallbackInfo& info, const char* op, effnet::PoolType type) {
  Args args(info, op);
  effnet::Pool2DParams p;
  p.type = type;
  read_pool2d_shape(args, p);
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels}, op);
  std::vector<effnet::BufferPtr> keep;
  const float* x = args.data<float>("x", x_n, effnet::DType::kFloat32, keep);
  float* out = args.output<float>("out", o_n, effnet::DType::kFloat32, keep);  // every element written
  try {
    effnet::pool2d(p, x, out);
  } catch (const effnet::Error& e) {
    args.fail(e.what());
  }
  return info.Env().Undefined();
}

Napi::Value MaxPool(const Napi::CallbackInfo& info) { return Run(info, "MaxPool", effnet::PoolType::kMax); }
Napi::Value AvgPool(const Napi::CallbackInfo& info) { return Run(info, "AvgPool", effnet::PoolType::kAvg); }

}  // namespace

void init_pooling(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "maxPool", MaxPool);
  export_entry(env, exports, "avgPool", AvgPool);
}

}  // namespace binding
