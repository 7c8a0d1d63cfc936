// Module init: the environment's owner id (binding/env_owner.h), then every family's entries.
#include <napi.h>

#include "env_owner.h"
#include "families.h"
#include "graph_replay.h"
#include "mbconv_blocks.h"
#include "registry.h"

namespace {
// What an environment leaves when it ends: its compiled graphs and prepared blocks first (they hold
// registry buffers).
void release_owned(uint32_t owner) {
  binding::graph_replay_release_owner(owner);
  binding::mbconv_blocks_release_owner(owner);
  binding::registry_release_owner(owner);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  binding::init_env_owner(env, release_owned);
  binding::init_memory(env, exports);
  binding::init_conv(env, exports);
  binding::init_matmul(env, exports);
  binding::init_depthwise(env, exports);
  binding::init_pooling(env, exports);
  binding::init_normalize(env, exports);
  binding::init_elementwise(env, exports);
  binding::init_reduce(env, exports);
  binding::init_layout(env, exports);
  binding::init_diagnostics(env, exports);
  binding::init_mbconv(env, exports);
  binding::init_mbconv_blocks(env, exports);
  binding::init_head(env, exports);
  binding::init_graph_replay(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(effnet_native, Init)
