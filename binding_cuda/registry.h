// The id -> device buffer table of the CUDA addon. JavaScript holds only integer ids.
#pragma once
#include <cstdint>

#include "effnet_cuda/cuda.h"

namespace cuda_binding {

// Adds a buffer made by environment `owner` (binding/env_owner.h) and returns its id (never 0).
uint32_t registry_add(effnet::cuda::DeviceBufferPtr buffer, uint32_t owner);
// The buffer for `id`; throws effnet::Error naming the id when there is none. During a graph capture
// the graph holds the buffer when it was made before the capture (effnet_cuda/graph.h).
effnet::cuda::DeviceBufferPtr registry_get(uint32_t id);
// The buffer for `id`, for an op that writes its first `bytes` bytes before anything reads them: when
// that is the whole buffer, the zero fill a new buffer still owes is dropped
// (DeviceBuffer::Zeroing::kBeforeFirstRead); otherwise it is queued, as registry_get does.
effnet::cuda::DeviceBufferPtr registry_get_for_overwrite(uint32_t id, size_t bytes);
// Drops the table's reference; the block returns to the allocator's cache.
bool registry_remove(uint32_t id);
size_t registry_size();
// Drops every entry of environment `owner` (it has ended: nothing can name them any more); their blocks
// return to the allocator's cache. Returns how many there were.
size_t registry_release_owner(uint32_t owner);

}  // namespace cuda_binding
