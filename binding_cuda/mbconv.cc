// EffnetMBConv entry of the CUDA addon (one fused MBConv block): the CPU addon's entry name and
// options (binding/mbconv.cc, read by binding/mbconv_options.h).
#include "args.h"
#include "effnet_cuda/mbconv.h"
#include "families.h"
#include "mbconv_options.h"

namespace cuda_binding {
namespace {

using effnet::cuda::DeviceBufferPtr;

Napi::Value MBConv(const Napi::CallbackInfo& info) {
  Args args(info, "EffnetMBConv");
  const effnet::MBConvParams p = binding::read_mbconv_params(args);
  const binding::MBConvBuffers<Args> b = binding::read_mbconv_buffers(args, p);
  auto f32 = [](const DeviceBufferPtr& buffer) {
    return buffer == nullptr ? nullptr : static_cast<const float*>(buffer->data());
  };
  effnet::cuda::MBConvDeviceWeights w;
  w.expand_kernel = f32(b.expand_kernel);
  w.expand_bias = f32(b.expand_bias);
  w.depthwise_kernel = f32(b.depthwise_kernel);
  w.depthwise_bias = f32(b.depthwise_bias);
  w.se_reduce_kernel = f32(b.se_reduce_kernel);
  w.se_reduce_bias = f32(b.se_reduce_bias);
  w.se_expand_kernel = f32(b.se_expand_kernel);
  w.se_expand_bias = f32(b.se_expand_bias);
  w.project_kernel = f32(b.project_kernel);
  w.project_bias = f32(b.project_bias);
  effnet::cuda::mbconv(p, f32(b.x), w, static_cast<float*>(b.out->data()));
  return info.Env().Undefined();
}

}  // namespace

void init_mbconv(Napi::Env env, Napi::Object exports) { export_entry(env, exports, "mbconv", MBConv); }

}  // namespace cuda_binding
