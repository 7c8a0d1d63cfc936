// Native tensor storage: 64-byte aligned blocks with a process-wide byte count, zero-filled unless the
// owner fills them itself.
#pragma once
#include <atomic>
#include <cstddef>
#include <memory>

namespace effnet {

class Buffer {
 public:
  // How a new buffer's bytes start out.
  enum class Init {
    kZero,      // zero-filled
    kUnfilled,  // left for the owner to fill (the bytes past bytes(), up to the 64-byte padding, are
                // zero). With EFFNET_POISON_BUFFERS=1 they are filled with NaNs instead, so that a test
                // sees any element a kernel that claims its whole output leaves unwritten.
  };

  // Where the bytes live.
  enum class Memory {
    kHeap,       // the C heap
    kHugePages,  // the weight arena (effnet/weight_arena.h), for packed weights
    kView,       // another buffer's (see the view constructor)
  };

  // Allocates `bytes` (0 allowed). Throws effnet::Error when the allocation fails.
  explicit Buffer(size_t bytes, Init init = Init::kZero, Memory memory = Memory::kHeap);
  // A view of `parent`'s bytes from `offset` on: `bytes` bytes and their padding, which must lie inside
  // the parent's padded bytes, at a multiple of 64. It keeps the parent alive and counts no bytes of
  // its own. Throws effnet::Error when it does not fit. Its contents are what the memory held.
  Buffer(std::shared_ptr<Buffer> parent, size_t offset, size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  // Zeroes the bytes past bytes() up to the 64-byte padding, which vector kernels may load; a view's
  // may hold what an earlier user of the memory left there.
  void zero_padding();

  // Whether forms packed from this buffer may be cached (packed_for marks its sources, and so does a
  // cache that registers with packed_cache_on_forget): packed_cache_forget passes over buffers never
  // marked, which a graph replay forgets by the dozen on every run. A mark is never cleared.
  void mark_packed_source() const { packed_source_.store(true, std::memory_order_relaxed); }
  bool packed_source() const { return packed_source_.load(std::memory_order_relaxed); }

  // Bytes held by all live buffers, and how many there are.
  static size_t bytes_in_use();
  static size_t live_count();

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Memory memory_ = Memory::kHeap;
  std::shared_ptr<Buffer> parent_;  // a view's
  mutable std::atomic<bool> packed_source_{false};
};

using BufferPtr = std::shared_ptr<Buffer>;

}  // namespace effnet
