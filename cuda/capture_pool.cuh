// The allocator's side of graph capture (allocator.cu), used by graph.cu: while a pool is active,
// new buffers take their blocks from it (or from the cache, and then belong to it), and buffers it
// owns return to it when freed. A released pool gives its free blocks back to the cache; blocks still
// in use go back when their buffers die.
#pragma once
#include <memory>

#include "effnet_cuda/cuda.h"
#include "effnet_cuda/graph.h"

namespace effnet {
namespace cuda {

// Makes a new pool active and returns it; throws when one is already active.
std::shared_ptr<CapturePool> activate_capture_pool();
// Stops routing allocations to the active pool (the pool lives on with its graph).
void deactivate_capture_pool();
// Returns the pool's free blocks to the cache and frees its pinned upload copies (once no capture is in
// progress); later frees of its buffers go to the cache. Safe to call twice.
void release_capture_pool(CapturePool& pool);
// Bytes of device blocks the pool owns.
size_t capture_pool_bytes(const CapturePool& pool);
// Frees pinned host copies whose release was deferred because a capture was in progress.
void free_deferred_host_copies();

// The check that throws while a capture is in progress (graph.cu; capturing() is in effnet_cuda/graph.h).
void check_not_capturing(const char* what);
// Throws when a capture is in progress on another thread (called by stream()).
void check_capture_thread();

}  // namespace cuda
}  // namespace effnet
