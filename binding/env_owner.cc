#include "env_owner.h"

#include <atomic>
#include <memory>

#include "effnet/common.h"

namespace binding {
namespace {

struct EnvOwner {
  uint32_t id;
  ReleaseOwned release;
};

std::atomic<uint32_t> g_next_owner{1};

// The environment's instance data finalizer: runs when the environment is torn down.
void release_owned(napi_env /*env*/, void* data, void* /*hint*/) {
  std::unique_ptr<EnvOwner> owner(static_cast<EnvOwner*>(data));
  owner->release(owner->id);
}

}  // namespace

void init_env_owner(Napi::Env env, ReleaseOwned release) {
  auto owner = std::make_unique<EnvOwner>(EnvOwner{g_next_owner++, release});
  if (napi_set_instance_data(env, owner.get(), release_owned, nullptr) != napi_ok) {
    throw effnet::Error("effnet-native: could not attach the addon's per-environment state");
  }
  owner.release();  // owned by the environment now
}

uint32_t env_owner(Napi::Env env) {
  void* data = nullptr;
  if (napi_get_instance_data(env, &data) != napi_ok || data == nullptr) {
    throw effnet::Error("effnet-native: the addon was not initialised in this environment");
  }
  return static_cast<EnvOwner*>(data)->id;
}

}  // namespace binding
