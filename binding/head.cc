// EffnetHead entry (the fused EfficientNet head): unpack the options, call the engine.
#include "args.h"
#include "effnet/head.h"
#include "families.h"
#include "head_options.h"

namespace binding {
namespace {

// Options: binding/head_options.h (read_head_params, read_head_buffers).
Napi::Value Head(const Napi::CallbackInfo& info) {
  Args args(info, "EffnetHead");
  const effnet::HeadParams p = read_head_params(args);
  const HeadBuffers<Args> b = read_head_buffers(args, p);
  auto f32 = [](const effnet::BufferPtr& buffer) { return static_cast<const float*>(buffer->data()); };
  effnet::HeadWeights w;
  w.conv_kernel = b.conv_kernel;
  w.conv_bias = f32(b.conv_bias);
  w.dense_kernel = b.dense_kernel;
  w.dense_bias = f32(b.dense_bias);
  effnet::head(p, f32(b.x), w, static_cast<float*>(b.out->data()));
  return info.Env().Undefined();
}

}  // namespace

void init_head(Napi::Env env, Napi::Object exports) { export_entry(env, exports, "head", Head); }

}  // namespace binding
