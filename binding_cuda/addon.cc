// Module init of the CUDA addon: the environment's owner id (binding/env_owner.h), then every family's
// entries. Loading it never touches the GPU; the first buffer or op does (and fails with a clear Error
// where CUDA is unusable).
#include <napi.h>

#include "env_owner.h"
#include "families.h"
#include "registry.h"

namespace {
// What an environment leaves when it ends: its graphs first (they hold registry buffers).
void release_owned(uint32_t owner) {
  cuda_binding::graphs_release_owner(owner);
  cuda_binding::registry_release_owner(owner);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  binding::init_env_owner(env, release_owned);
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
