// The id -> native buffer table. JavaScript holds only integer ids; the buffers live here.
#pragma once
#include <cstdint>

#include "effnet/buffer.h"

namespace binding {

// Adds a buffer made by environment `owner` (binding/env_owner.h) and returns its id (never 0). With
// `zero_on_first_use` the buffer reads as zeros but is only zero-filled when first taken by registry_get
// (or by registry_get_for_overwrite for less than all of it): an op that writes the whole buffer first
// skips the fill.
uint32_t registry_add(effnet::BufferPtr buffer, uint32_t owner, bool zero_on_first_use = false);
// The buffer for `id`; throws effnet::Error naming the id when there is none.
effnet::BufferPtr registry_get(uint32_t id);
// registry_get for an op's output of `bytes` bytes that it writes entirely; when that is the whole buffer,
// the buffer is marked as written whole (a captured graph need not zero it before replaying the op) and
// a pending zero fill is dropped.
effnet::BufferPtr registry_get_for_overwrite(uint32_t id, size_t bytes);
// Whether an op has taken `id` as an output it writes entirely (false for unknown ids).
bool registry_written_whole(uint32_t id);
// Drops the table's reference; the memory is freed once no running op holds the buffer. A pinned id
// stays usable (by the graph that pinned it) until its last unpin; returns false when the id was
// already removed.
bool registry_remove(uint32_t id);
// Keeps `id` in the table until a matching unpin, even when JavaScript frees it: a captured graph
// (src/cpu_graph.ts) replays calls that name it. Returns false when there is no such id.
bool registry_pin(uint32_t id);
void registry_unpin(uint32_t id);
// Makes `id` name `buffer` from now on (a captured graph shares memory between intermediates whose uses
// do not overlap); throws effnet::Error when there is no such id.
void registry_rebind(uint32_t id, effnet::BufferPtr buffer);
// Entries in the table (pinned ids JavaScript has freed included: they still hold memory).
size_t registry_size();
// Drops every entry of environment `owner`, pinned or not (the environment has ended: nothing can name
// them any more). Returns how many there were.
size_t registry_release_owner(uint32_t owner);

}  // namespace binding
