// Memory for packed weights: carved from 2 MiB-aligned chunks that Linux backs with transparent huge
// pages (madvise). A model reads all of its packed weights once per inference, tens of MiB in
// buffers of a few hundred KiB: on 4 KiB pages each buffer's stream pays page walks and restarts the
// hardware prefetchers at every page. On huge pages EfficientNet-B0 runs ~5% faster at one thread.
//
// Allocation bumps a pointer through the open chunk (blocks over a quarter of a chunk get a chunk of
// their own). Freed blocks are not reused one by one: a chunk goes back to the system once every block
// in it is freed. Weights packed together are freed together (a model's), so little is held back.
#pragma once
#include <cstddef>

namespace effnet {
namespace weight_arena {

// `bytes` (> 0) at a 64-byte-aligned address, contents unspecified. Throws effnet::Error when the
// system has no memory to map.
void* allocate(size_t bytes);
// Frees a block from allocate(bytes).
void release(void* block, size_t bytes);

// Whether memory that is read in long streams goes on transparent huge pages: packed weights here, and
// large scratch (the fused block's); EFFNET_HUGE_PAGES=0 (read once) keeps both on the C heap's pages.
bool huge_pages_enabled();

// Bytes mapped for chunks (what the arena holds from the system), and bytes of blocks in use.
size_t reserved_bytes();
size_t live_bytes();

}  // namespace weight_arena
}  // namespace effnet
