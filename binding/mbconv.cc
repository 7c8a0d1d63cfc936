// EffnetMBConv entry (one fused MBConv block): unpack the options, call the engine.
#include "args.h"
#include "effnet/mbconv.h"
#include "families.h"
#include "mbconv_options.h"

namespace binding {
namespace {

// Options: binding/mbconv_options.h (read_mbconv_params, read_mbconv_buffers).
Napi::Value MBConv(const Napi::CallbackInfo& info) {
  Args args(info, "EffnetMBConv");
  const effnet::MBConvParams p = read_mbconv_params(args);
  const MBConvBuffers<Args> b = read_mbconv_buffers(args, p);
  auto f32 = [](const effnet::BufferPtr& buffer) { return static_cast<const float*>(buffer->data()); };
  effnet::MBConvWeights w;
  if (p.has_expand) {
    w.expand_kernel = b.expand_kernel;
    w.expand_bias = f32(b.expand_bias);
  }
  w.depthwise_kernel = b.depthwise_kernel;
  w.depthwise_bias = f32(b.depthwise_bias);
  w.se_reduce_kernel = b.se_reduce_kernel;
  w.se_reduce_bias = f32(b.se_reduce_bias);
  w.se_expand_kernel = b.se_expand_kernel;
  w.se_expand_bias = f32(b.se_expand_bias);
  w.project_kernel = b.project_kernel;
  w.project_bias = f32(b.project_bias);
  effnet::mbconv(p, f32(b.x), w, static_cast<float*>(b.out->data()));
  return info.Env().Undefined();
}

}  // namespace

void init_mbconv(Napi::Env env, Napi::Object exports) { export_entry(env, exports, "mbconv", MBConv); }

}  // namespace binding
