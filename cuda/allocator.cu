// Caching device allocator: blocks from cudaMalloc are kept on free lists keyed by size and reused,
// so ops never call cudaMalloc/cudaFree in steady state. Every op runs on the engine's one stream,
// so a block freed after queuing work and handed out again is only touched by later work on the same
// stream: stream order keeps reuse safe without events. Asynchronous downloads (download.cu) read on a
// stream of their own but hold their buffer until the copy has finished, so its block is not cached
// (and handed out again) while they read it.
//
// Graph capture (graph.cu) adds pools: while one is active, blocks handed out belong to it, and when
// freed they go back to it rather than to the cache, so a captured graph's memory is never shared with
// buffers made outside its capture. Released with its graph, a pool's blocks rejoin the cache.
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "capture_pool.cuh"
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

}  // namespace

struct CapturePool {
  std::multimap<size_t, void*> free_blocks;  // blocks of this pool not in use: size -> pointer
  size_t bytes = 0;                          // every block the pool owns, in use or free
  std::vector<void*> host_copies;            // pinned copies of the uploads recorded by the capture
  bool released = false;
};

namespace {

// A block of `block` bytes from `blocks`: the same size, or for big requests one at most twice as
// large. Returns end() when there is none.
std::multimap<size_t, void*>::iterator find_block(std::multimap<size_t, void*>& blocks, size_t block) {
  auto it = blocks.lower_bound(block);
  if (it != blocks.end() && (it->first == block || (block > kSmall && it->first <= 2 * block))) return it;
  return blocks.end();
}

struct Allocator {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;  // size -> pointer
  MemoryStats stats;
  std::shared_ptr<CapturePool> active;       // the pool of the capture in progress, if any
  std::vector<void*> deferred_host_copies;   // pinned copies to free once no capture is in progress

  // A block of at least `*block` bytes; *block is set to the block's true size, *pool to the active
  // capture's pool (null outside captures).
  void* take(size_t* block, std::shared_ptr<CapturePool>* pool) {
    std::lock_guard<std::mutex> lock(mutex);
    *pool = active;
    if (active != nullptr) {
      auto it = find_block(active->free_blocks, *block);
      if (it != active->free_blocks.end()) {
        void* p = it->second;
        *block = it->first;
        stats.bytes_in_graphs -= it->first;
        active->free_blocks.erase(it);
        return p;
      }
    }
    void* p = nullptr;
    auto it = find_block(free_blocks, *block);
    if (it != free_blocks.end()) {
      p = it->second;
      *block = it->first;
      stats.bytes_cached -= it->first;
      free_blocks.erase(it);
    } else {
      cudaError_t err = cudaMalloc(&p, *block);
      // cudaFree synchronises the device, which a capture in progress cannot record: no retry then.
      if (err == cudaErrorMemoryAllocation && active == nullptr) {
        (void)cudaGetLastError();
        release_cached_locked();
        err = cudaMalloc(&p, *block);
      }
      if (err != cudaSuccess) {
        throw_cuda_error(err, ("cudaMalloc of " + std::to_string(*block) + " bytes").c_str(), __FILE__, __LINE__);
      }
      stats.bytes_reserved += *block;
    }
    if (active != nullptr) active->bytes += *block;
    return p;
  }

  void give(void* p, size_t block, CapturePool* pool) {
    std::lock_guard<std::mutex> lock(mutex);
    if (pool != nullptr && !pool->released) {
      pool->free_blocks.emplace(block, p);
      stats.bytes_in_graphs += block;
      return;
    }
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

namespace {
// EFFNET_CUDA_ZERO_BUFFERS=1 zero-fills every new buffer at once, whatever its Zeroing says: a check for
// a kernel that leaves part of its output unwritten (its results change with the setting).
bool zero_every_buffer() {
  static const bool on = [] {
    const char* v = std::getenv("EFFNET_CUDA_ZERO_BUFFERS");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return on;
}
}  // namespace

DeviceBuffer::DeviceBuffer(size_t bytes, Zeroing zeroing) : bytes_(bytes) {
  if (zero_every_buffer()) zeroing = Zeroing::kNow;
  cudaStream_t s = stream();
  Allocator& a = allocator();
  size_t block = round_block(bytes);
  data_ = a.take(&block, &pool_);
  block_ = block;
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    a.stats.bytes_in_use += bytes_;
    a.stats.blocks_in_use += 1;
  }
  if (bytes_ > 0 && zeroing == Zeroing::kBeforeFirstRead) zero_pending_.store(true, std::memory_order_relaxed);
  if (bytes_ > 0 && zeroing == Zeroing::kNow) {
    cudaError_t err = cudaMemsetAsync(data_, 0, bytes_, s);
    if (err != cudaSuccess) {
      a.give(data_, block_, pool_.get());
      std::lock_guard<std::mutex> lock(a.mutex);
      a.stats.bytes_in_use -= bytes_;
      a.stats.blocks_in_use -= 1;
      data_ = nullptr;
      throw_cuda_error(err, "cudaMemsetAsync", __FILE__, __LINE__);
    }
  }
}

namespace {
// Whether work queued on this buffer now would only be recorded into a graph being captured, not run:
// a buffer made before the capture (or for another graph) still owes its zero fill afterwards then.
bool recorded_only(const CapturePool* pool) {
  if (!capturing()) return false;
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.active == nullptr || a.active.get() != pool;
}
}  // namespace

void DeviceBuffer::ensure_zeroed() const {
  if (!zero_pending_.load(std::memory_order_relaxed)) return;
  CUDA_CHECK(cudaMemsetAsync(const_cast<void*>(data_), 0, bytes_, stream()));
  if (!recorded_only(pool_.get())) zero_pending_.store(false, std::memory_order_relaxed);
}

void DeviceBuffer::overwritten() {
  if (!zero_pending_.load(std::memory_order_relaxed)) return;
  if (!recorded_only(pool_.get())) zero_pending_.store(false, std::memory_order_relaxed);
}

DeviceBuffer::~DeviceBuffer() {
  if (data_ == nullptr) return;
  Allocator& a = allocator();
  a.give(data_, block_, pool_.get());
  std::lock_guard<std::mutex> lock(a.mutex);
  a.stats.bytes_in_use -= bytes_;
  a.stats.blocks_in_use -= 1;
}

void upload(DeviceBuffer& dst, const void* src, size_t bytes) {
  if (bytes > dst.bytes()) throw Error("upload: " + std::to_string(bytes) + " bytes into a buffer of " + std::to_string(dst.bytes()));
  if (bytes == 0) return;
  if (bytes == dst.bytes()) dst.overwritten();
  else dst.ensure_zeroed();
  cudaStream_t s = stream();
  if (capturing()) {
    // A graph cannot record a copy from pageable memory: copy into pinned memory the pool keeps, and
    // record the copy from there (every replay repeats it).
    Allocator& a = allocator();
    void* pinned = nullptr;
    CUDA_CHECK(cudaMallocHost(&pinned, bytes));
    std::memcpy(pinned, src, bytes);
    {
      std::lock_guard<std::mutex> lock(a.mutex);
      if (a.active != nullptr) {
        a.active->host_copies.push_back(pinned);
      } else {
        a.deferred_host_copies.push_back(pinned);
      }
    }
    CUDA_CHECK(cudaMemcpyAsync(dst.data(), pinned, bytes, cudaMemcpyHostToDevice, s));
    return;
  }
  // From pageable memory the copy is staged before cudaMemcpyAsync returns: src may be reused.
  CUDA_CHECK(cudaMemcpyAsync(dst.data(), src, bytes, cudaMemcpyHostToDevice, s));
}

void download(const DeviceBuffer& src, void* dst, size_t bytes) {
  if (bytes > src.bytes()) throw Error("download: " + std::to_string(bytes) + " bytes from a buffer of " + std::to_string(src.bytes()));
  check_not_capturing("reading tensor data");
  src.ensure_zeroed();
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
  check_not_capturing("emptyCache");
  CUDA_CHECK(cudaStreamSynchronize(stream()));
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.release_cached_locked();
}

std::shared_ptr<CapturePool> activate_capture_pool() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  if (a.active != nullptr) throw Error("graph capture: a capture is already in progress");
  a.active = std::make_shared<CapturePool>();
  return a.active;
}

void deactivate_capture_pool() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.active = nullptr;
}

void release_capture_pool(CapturePool& pool) {
  Allocator& a = allocator();
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    if (pool.released) return;
    pool.released = true;
    if (a.active.get() == &pool) a.active = nullptr;
    // Work queued later on the engine's stream runs after the graph's last replay: the blocks can be
    // handed out again at once.
    for (auto& kv : pool.free_blocks) {
      a.free_blocks.emplace(kv.first, kv.second);
      a.stats.bytes_in_graphs -= kv.first;
      a.stats.bytes_cached += kv.first;
    }
    pool.free_blocks.clear();
    a.deferred_host_copies.insert(a.deferred_host_copies.end(), pool.host_copies.begin(), pool.host_copies.end());
    pool.host_copies.clear();
  }
  free_deferred_host_copies();  // at once, unless a capture is in progress
}

size_t capture_pool_bytes(const CapturePool& pool) {
  std::lock_guard<std::mutex> lock(allocator().mutex);
  return pool.bytes;
}

void free_deferred_host_copies() {
  Allocator& a = allocator();
  std::vector<void*> host_copies;
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    if (capturing()) return;
    host_copies.swap(a.deferred_host_copies);
  }
  if (host_copies.empty()) return;
  // cudaFreeHost synchronises the device (which a capture cannot record, hence the wait for none), and a
  // replay still queued may be reading them.
  (void)cudaStreamSynchronize(stream());
  for (void* p : host_copies) cudaFreeHost(p);
}

}  // namespace cuda
}  // namespace effnet
