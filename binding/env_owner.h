// Which JavaScript environment (the main thread or a worker thread) made a native buffer or a graph.
// Both addons keep them in process-wide tables; when an environment ends (a worker exits or is
// terminated) without freeing what it made, nothing could name those ids again, so the environment's end
// frees them. Shared by the CPU addon (binding/) and the CUDA addon (binding_cuda/).
#pragma once
#include <napi.h>

#include <cstdint>

namespace binding {

// Frees what environment `owner` made and did not free (the addon's tables).
using ReleaseOwned = void (*)(uint32_t owner);

// Gives `env` its owner id and calls `release` with it when the environment ends. Module init calls it
// once per environment, before anything else.
void init_env_owner(Napi::Env env, ReleaseOwned release);

// The owner id of `env` (never 0).
uint32_t env_owner(Napi::Env env);

// Erases the entries of `table` (an id -> entry map) whose owner, `owner_of(entry)`, is `owner`, handing each
// entry to `take` first (which keeps what is to be let go once the caller's lock is released).
template <typename Table, typename OwnerOf, typename Take>
void erase_owned(Table& table, uint32_t owner, OwnerOf owner_of, Take take) {
  for (auto it = table.begin(); it != table.end();) {
    if (owner_of(it->second) == owner) {
      take(it->second);
      it = table.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace binding
