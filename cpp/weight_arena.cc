#include "effnet/weight_arena.h"

#include <sys/mman.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "effnet/common.h"

namespace effnet {
namespace weight_arena {
namespace {

constexpr size_t kHugePage = size_t(2) << 20;
// A chunk's size: room for a small model's weights. Only the pages blocks touch take memory.
constexpr size_t kChunkBytes = size_t(32) << 20;
constexpr size_t kBlockAlignment = 64;

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

struct Chunk {
  char* base = nullptr;
  size_t bytes = 0;   // mapped
  size_t used = 0;    // bump offset
  size_t blocks = 0;  // live blocks
};

struct Arena {
  std::mutex mutex;
  std::vector<Chunk> chunks;
  char* open = nullptr;  // base of the chunk small blocks are carved from, or null
  size_t reserved = 0, live = 0;
};

// Never destroyed: packed weights held by other static objects (the packed-weight cache) are
// released during exit, in no particular order with this file's statics.
Arena& arena() {
  static Arena* const instance = new Arena;
  return *instance;
}

// Gives the C heap's free pages back to the system. Packed weights on the heap used to fill the
// space freed while a model was built (its random or decoded weights, temporaries); in chunks of
// their own they leave it resident, and the kernel has to compact memory to find huge pages. Done
// before each new chunk, that is only while weights are packed (0.1-21 ms a call): peak RSS of
// B7 1065 -> 929-987 MB, of AmoebaNet-B 7.94 -> 7.39 GB (BENCHMARKS.md, "Memory").
void return_free_heap_pages() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

// `bytes` (a multiple of kHugePage) at a kHugePage-aligned address, advised for huge pages.
Chunk map_chunk(size_t bytes) {
  return_free_heap_pages();
  // Over-map by one huge page, then unmap the misaligned head and the tail.
  const size_t span = bytes + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    throw Error("out of memory: could not map " + std::to_string(bytes) + " bytes for packed weights");
  }
  char* start = static_cast<char*>(raw);
  char* base = reinterpret_cast<char*>(round_up(reinterpret_cast<uintptr_t>(start), kHugePage));
  if (base > start) munmap(start, static_cast<size_t>(base - start));
  char* end = base + bytes;
  if (start + span > end) munmap(end, static_cast<size_t>(start + span - end));
#ifdef MADV_HUGEPAGE
  madvise(base, bytes, MADV_HUGEPAGE);  // a hint: where huge pages are off, 4 KiB pages serve
#endif
  Chunk chunk;
  chunk.base = base;
  chunk.bytes = bytes;
  return chunk;
}

}  // namespace

bool huge_pages_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("EFFNET_HUGE_PAGES");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return on;
}

void* allocate(size_t bytes) {
  check(bytes > 0 && bytes <= (size_t(1) << 46), "weight arena: block size out of range");
  const size_t size = round_up(bytes, kBlockAlignment);
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  Chunk* chunk = nullptr;
  if (size > kChunkBytes / 4) {
    a.chunks.push_back(map_chunk(round_up(size, kHugePage)));
    chunk = &a.chunks.back();
    a.reserved += chunk->bytes;
  } else {
    for (Chunk& c : a.chunks) {
      if (c.base == a.open) chunk = &c;
    }
    if (chunk == nullptr || chunk->bytes - chunk->used < size) {
      a.chunks.push_back(map_chunk(kChunkBytes));
      chunk = &a.chunks.back();
      a.reserved += chunk->bytes;
      a.open = chunk->base;
    }
  }
  char* block = chunk->base + chunk->used;
  chunk->used += size;
  chunk->blocks += 1;
  a.live += size;
  return block;
}

void release(void* block, size_t bytes) {
  if (block == nullptr) return;
  char* p = static_cast<char*>(block);
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  for (size_t i = 0; i < a.chunks.size(); ++i) {
    Chunk& c = a.chunks[i];
    if (p < c.base || p >= c.base + c.bytes) continue;
    a.live -= round_up(bytes, kBlockAlignment);
    if (--c.blocks == 0) {
      munmap(c.base, c.bytes);
      a.reserved -= c.bytes;
      if (c.base == a.open) a.open = nullptr;
      a.chunks.erase(a.chunks.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return;
  }
}

size_t reserved_bytes() {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.reserved;
}

size_t live_bytes() {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.live;
}

}  // namespace weight_arena
}  // namespace effnet
