#include "effnet/weight_arena.h"

#include <sys/mman.h>

#include <cstdint>
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

std::mutex g_mutex;
std::vector<Chunk> g_chunks;
char* g_open = nullptr;  // base of the chunk small blocks are carved from, or null
size_t g_reserved = 0, g_live = 0;

// `bytes` (a multiple of kHugePage) at a kHugePage-aligned address, advised for huge pages.
Chunk map_chunk(size_t bytes) {
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
  g_reserved += bytes;
  Chunk chunk;
  chunk.base = base;
  chunk.bytes = bytes;
  return chunk;
}

}  // namespace

void* allocate(size_t bytes) {
  check(bytes > 0 && bytes <= (size_t(1) << 46), "weight arena: block size out of range");
  const size_t size = round_up(bytes, kBlockAlignment);
  std::lock_guard<std::mutex> lock(g_mutex);
  Chunk* chunk = nullptr;
  if (size > kChunkBytes / 4) {
    g_chunks.push_back(map_chunk(round_up(size, kHugePage)));
    chunk = &g_chunks.back();
  } else {
    for (Chunk& c : g_chunks) {
      if (c.base == g_open) chunk = &c;
    }
    if (chunk == nullptr || chunk->bytes - chunk->used < size) {
      g_chunks.push_back(map_chunk(kChunkBytes));
      chunk = &g_chunks.back();
      g_open = chunk->base;
    }
  }
  char* block = chunk->base + chunk->used;
  chunk->used += size;
  chunk->blocks += 1;
  g_live += size;
  return block;
}

void release(void* block, size_t bytes) {
  if (block == nullptr) return;
  char* p = static_cast<char*>(block);
  std::lock_guard<std::mutex> lock(g_mutex);
  for (size_t i = 0; i < g_chunks.size(); ++i) {
    Chunk& c = g_chunks[i];
    if (p < c.base || p >= c.base + c.bytes) continue;
    g_live -= round_up(bytes, kBlockAlignment);
    if (--c.blocks == 0) {
      munmap(c.base, c.bytes);
      g_reserved -= c.bytes;
      if (c.base == g_open) g_open = nullptr;
      g_chunks.erase(g_chunks.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return;
  }
}

size_t reserved_bytes() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_reserved;
}

size_t live_bytes() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_live;
}

}  // namespace weight_arena
}  // namespace effnet
