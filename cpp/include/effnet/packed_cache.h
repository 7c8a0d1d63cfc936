// Packed weights (BN folded, kernel-friendly layouts) cached against the source buffer, so a model's
// weights are packed once and freed when the weight tensor is disposed.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "effnet/buffer.h"

namespace effnet {

// Returns the packed form of `source` for `layout` (a string naming the packing and every parameter
// it depends on, e.g. "gemm-b:k=96,n=24,nr=64"), building it with `pack` on the first call.
// Entries whose source buffer has been freed are dropped on later calls. Thread-safe.
BufferPtr packed_for(const BufferPtr& source, const std::string& layout,
                     const std::function<BufferPtr()>& pack);

// A zero-filled buffer for a packed form: on the weight arena's huge pages (effnet/weight_arena.h), or
// on the C heap where EFFNET_HUGE_PAGES=0.
BufferPtr packed_buffer(size_t bytes);

// Number of cached entries and their bytes (for tests and diagnostics).
size_t packed_cache_entries();
size_t packed_cache_bytes();
// Drops the entries packed from `source` (called when its buffer leaves the registry, and for a graph
// replay's intermediates); nothing for a buffer never marked as a packed source (Buffer::packed_source).
void packed_cache_forget(const Buffer* source);
// Drops every entry (used by tests and when the process changes ISA level).
void packed_cache_clear();
// A count of the times packed forms were dropped (forget or clear that found some, or a stale entry
// replaced): a caller that keeps packed forms of its own (effnet::MBConvPacked) may reuse them while it
// has not moved.
uint64_t packed_cache_epoch();

// Registers `hook`, called (outside the cache's lock) with the buffer each packed_cache_forget is given,
// and with nullptr by packed_cache_clear: for caches of forms that hold packed weights of their own
// (the fused MBConv blocks prepared for eager calls: binding/mbconv_blocks.cc), so that these go with the
// weights. Such a cache marks the buffers it packs from (Buffer::mark_packed_source): the hooks hear only
// of marked buffers. Hooks stay for the process.
void packed_cache_on_forget(void (*hook)(const Buffer* source));

}  // namespace effnet
