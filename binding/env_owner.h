// Which JavaScript environment (the main thread or a worker thread) made a native buffer or a compiled
// graph. Both live in process-wide tables; when an environment ends (a worker exits or is terminated)
// without freeing what it made, nothing could name those ids again, so the environment's end frees them.
#pragma once
#include <napi.h>

#include <cstdint>

namespace binding {

// Gives `env` its owner id and registers the release of what it owns for when it ends. Module init calls
// it once per environment, before anything else.
void init_env_owner(Napi::Env env);

// The owner id of `env` (never 0).
uint32_t env_owner(Napi::Env env);

}  // namespace binding
