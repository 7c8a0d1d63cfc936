// Caching device allocator: blocks from cudaMalloc are kept on free lists keyed by size and reused,
// so ops never call cudaMalloc/cudaFree in steady state. Every op runs on the engine's one stream,
// so a block freed after queuing work and handed out again is only touched by later work on the same
// stream: stream order keeps reuse safe without events. Asynchronous downloads (download.cu) read on a
// stream of their own but hold their buffer until the copy has finished, so its block is not cached
// (and handed out again) while they read it.
#include <map>
#include <mutex>

#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

constexpr size_t kSmall = 1 << 20;       // blocks up to 1 MiB round to 512 bytes
constexpr size_t kSmallRound = 512;
constexpr size_t kLargeRound = 2 << 20;  // larger blocks round to 2 MiB

size_t round_block(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t r = bytes <= kSmall ? kSmallRound : kLargeRound;
  return (bytes + r - 1) / r * r;
}

struct Allocator {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;  // size -> pointer
  MemoryStats stats;

  // A block of at least `*block` bytes; *block is set to the block's true size.
  void* take(size_t* block) {
    std::lock_guard<std::mutex> lock(mutex);
    // Reuse a cached block of the same size, or one at most twice as large for big requests.
    auto it = free_blocks.lower_bound(*block);
    if (it != free_blocks.end() && (it->first == *block || (*block > kSmall && it->first <= 2 * *block))) {
      void* p = it->second;
      *block = it->first;
      stats.bytes_cached -= it->first;
      free_blocks.erase(it);
      return p;
    }
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, *block);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      release_cached_locked();
      err = cudaMalloc(&p, *block);
    }
    if (err != cudaSuccess) {
      throw_cuda_error(err, ("cudaMalloc of " + std::to_string(*block) + " bytes").c_str(), __FILE__, __LINE__);
    }
    stats.bytes_reserved += *block;
    return p;
  }

  void give(void* p, size_t block) {
    std::lock_guard<std::mutex> lock(mutex);
    free_blocks.emplace(block, p);
    stats.bytes_cached += block;
  }

  void release_cached_locked() {
    // Work queued before may still use cached blocks' previous contents only through live buffers,
    // never through cached ones, but cudaFree synchronises the device anyway.
    for (auto& kv : free_blocks) {
      cudaFree(kv.second);
      stats.bytes_reserved -= kv.first;
    }
    stats.bytes_cached = 0;
    free_blocks.clear();
  }
};

Allocator& allocator() {
  static Allocator* a = new Allocator();  // never destroyed: buffers may outlive static destruction
  return *a;
}

}  // namespace

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  cudaStream_t s = stream();
  Allocator& a = allocator();
  size_t block = round_block(bytes);
  data_ = a.take(&block);
  block_ = block;
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    a.stats.bytes_in_use += bytes_;
    a.stats.blocks_in_use += 1;
  }
  if (bytes_ > 0) {
    cudaError_t err = cudaMemsetAsync(data_, 0, bytes_, s);
    if (err != cudaSuccess) {
      a.give(data_, block_);
      std::lock_guard<std::mutex> lock(a.mutex);
      a.stats.bytes_in_use -= bytes_;
      a.stats.blocks_in_use -= 1;
      data_ = nullptr;
      throw_cuda_error(err, "cudaMemsetAsync", __FILE__, __LINE__);
    }
  }
}

DeviceBuffer::~DeviceBuffer() {
  if (data_ == nullptr) return;
  Allocator& a = allocator();
  a.give(data_, block_);
  std::lock_guard<std::mutex> lock(a.mutex);
  a.stats.bytes_in_use -= bytes_;
  a.stats.blocks_in_use -= 1;
}

void upload(DeviceBuffer& dst, const void* src, size_t bytes) {
  if (bytes > dst.bytes()) throw Error("upload: " + std::to_string(bytes) + " bytes into a buffer of " + std::to_string(dst.bytes()));
  if (bytes == 0) return;
  // From pageable memory the copy is staged before cudaMemcpyAsync returns: src may be reused.
  CUDA_CHECK(cudaMemcpyAsync(dst.data(), src, bytes, cudaMemcpyHostToDevice, stream()));
}

void download(const DeviceBuffer& src, void* dst, size_t bytes) {
  if (bytes > src.bytes()) throw Error("download: " + std::to_string(bytes) + " bytes from a buffer of " + std::to_string(src.bytes()));
  cudaStream_t s = stream();
  if (bytes > 0) CUDA_CHECK(cudaMemcpyAsync(dst, src.data(), bytes, cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
}

MemoryStats memory_stats() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.stats;
}

void empty_cache() {
  if (!device_info().usable) return;
  CUDA_CHECK(cudaStreamSynchronize(stream()));
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.release_cached_locked();
}

}  // namespace cuda
}  // namespace effnet
