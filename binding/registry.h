// The id -> native buffer table. JavaScript holds only integer ids; the buffers live here.
#pragma once
#include <cstdint>

#include "effnet/buffer.h"

namespace binding {

// Adds a buffer and returns its id (never 0).
uint32_t registry_add(effnet::BufferPtr buffer);
// The buffer for `id`; throws effnet::Error naming the id when there is none.
effnet::BufferPtr registry_get(uint32_t id);
// Drops the table's reference; the memory is freed once no running op holds the buffer.
bool registry_remove(uint32_t id);
size_t registry_size();

}  // namespace binding
