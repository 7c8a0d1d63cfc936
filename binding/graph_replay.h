// Compiled replays of captured CPU graphs (binding/graph_replay.cc), seen from the rest of the binding.
#pragma once
#include <cstdint>

namespace binding {

// Frees the compiled graphs an environment made (binding/env_owner.h), when it ends.
void graph_replay_release_owner(uint32_t owner);

}  // namespace binding
