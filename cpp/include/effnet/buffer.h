// Native tensor storage: 64-byte aligned, zero-initialised blocks with a process-wide byte count.
#pragma once
#include <atomic>
#include <cstddef>
#include <memory>

namespace effnet {

class Buffer {
 public:
  // Allocates `bytes` (0 allowed). Throws effnet::Error when the allocation fails.
  explicit Buffer(size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

  // Bytes held by all live buffers, and how many there are.
  static size_t bytes_in_use();
  static size_t live_count();

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

using BufferPtr = std::shared_ptr<Buffer>;

}  // namespace effnet
