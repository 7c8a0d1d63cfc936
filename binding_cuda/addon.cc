// Module init of the CUDA addon: registers every family's entries and nothing else. Loading it never
// touches the GPU; the first buffer or op does (and fails with a clear Error where CUDA is unusable).
#include <napi.h>

#include "families.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  cuda_binding::init_memory(env, exports);
  cuda_binding::init_elementwise(env, exports);
  cuda_binding::init_layout(env, exports);
  cuda_binding::init_reduce(env, exports);
  cuda_binding::init_conv(env, exports);
  cuda_binding::init_mbconv(env, exports);
  cuda_binding::init_head(env, exports);
  cuda_binding::init_precision(env, exports);
  cuda_binding::init_graph(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(effnet_native_cuda, Init)
