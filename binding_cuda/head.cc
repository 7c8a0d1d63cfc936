// EffnetHead entry of the CUDA addon (the fused EfficientNet head): the CPU addon's entry name and
// options (binding/head.cc, read by binding/head_options.h).
#include "args.h"
#include "effnet_cuda/head.h"
#include "families.h"
#include "head_options.h"

namespace cuda_binding {
namespace {

using effnet::cuda::DeviceBufferPtr;

Napi::Value Head(const Napi::CallbackInfo& info) {
  Args args(info, "EffnetHead");
  const effnet::HeadParams p = binding::read_head_params(args);
  const binding::HeadBuffers<Args> b = binding::read_head_buffers(args, p);
  auto f32 = [](const DeviceBufferPtr& buffer) { return static_cast<const float*>(buffer->data()); };
  effnet::cuda::HeadDeviceWeights w;
  w.conv_kernel = f32(b.conv_kernel);
  w.conv_bias = f32(b.conv_bias);
  w.dense_kernel = f32(b.dense_kernel);
  w.dense_bias = f32(b.dense_bias);
  effnet::cuda::head(p, f32(b.x), w, static_cast<float*>(b.out->data()));
  return info.Env().Undefined();
}

}  // namespace

void init_head(Napi::Env env, Napi::Object exports) { export_entry(env, exports, "head", Head); }

}  // namespace cuda_binding
