// Graph capture of the engine's stream (effnet_cuda/graph.h). The capture uses the relaxed mode: ops
// still allocate with cudaMalloc when the pool and the cache have no block, which the global mode
// forbids; what must not happen inside a capture (downloads, stream synchronisation, work from other
// threads, cudaFree) is refused by the engine itself.
#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "capture_pool.cuh"
#include "common.cuh"
#include "effnet_cuda/graph.h"

namespace effnet {
namespace cuda {
namespace {

struct CaptureState {
  std::mutex mutex;  // guards everything below except the atomics
  std::atomic<bool> active{false};
  std::atomic<std::thread::id> thread{};  // the capturing thread (stream() checks it without the mutex)
  cudaStream_t stream = nullptr;  // the stream being captured (the engine's)
  std::shared_ptr<CapturePool> pool;
  std::vector<DeviceBufferPtr> held;
  std::unordered_set<const DeviceBuffer*> held_set;
};

CaptureState& state() {
  static CaptureState* s = new CaptureState();  // never destroyed, like the allocator
  return *s;
}

// Ends the capture in progress (the caller holds the state's mutex): returns the graph (null when the
// capture was invalidated) and the CUDA error, and hands back the pool and the held buffers.
cudaError_t finish_capture_locked(CaptureState& st, cudaGraph_t* graph, std::shared_ptr<CapturePool>* pool,
                                  std::vector<DeviceBufferPtr>* held) {
  *graph = nullptr;
  cudaError_t err = cudaStreamEndCapture(st.stream, graph);
  if (err != cudaSuccess) (void)cudaGetLastError();
  st.active.store(false);
  deactivate_capture_pool();
  *pool = std::move(st.pool);
  held->swap(st.held);
  st.held.clear();
  st.held_set.clear();
  return err;
}

}  // namespace

bool capturing() { return state().active.load(std::memory_order_acquire); }

void check_not_capturing(const char* what) {
  if (capturing()) {
    throw Error(std::string("native-cuda: ") + what +
                " is not possible while a CUDA graph is being captured (a captured function may only queue GPU work: "
                "read results after the capture, from the graph's output)");
  }
}

void check_capture_thread() {
  CaptureState& st = state();
  if (!st.active.load(std::memory_order_acquire)) return;
  if (st.thread.load() != std::this_thread::get_id()) {
    throw Error("native-cuda: a CUDA graph is being captured on another thread; ops from this thread would be recorded "
                "into it: wait until the capture has ended");
  }
}

void begin_capture() {
  require_device();
  cudaStream_t s = stream();
  CaptureState& st = state();
  std::lock_guard<std::mutex> lock(st.mutex);
  if (st.active.load()) throw Error("graph capture: a capture is already in progress");
  std::shared_ptr<CapturePool> pool = activate_capture_pool();
  const cudaError_t err = cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    deactivate_capture_pool();
    release_capture_pool(*pool);
    throw_cuda_error(err, "cudaStreamBeginCapture", __FILE__, __LINE__);
  }
  st.pool = std::move(pool);
  st.stream = s;
  st.thread.store(std::this_thread::get_id());
  st.active.store(true, std::memory_order_release);
}

void hold_for_capture(const DeviceBufferPtr& buffer) {
  CaptureState& st = state();
  if (buffer == nullptr || !st.active.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(st.mutex);
  if (!st.active.load() || buffer->capture_pool() == st.pool.get()) return;
  if (st.held_set.insert(buffer.get()).second) st.held.push_back(buffer);
}

std::shared_ptr<Graph> end_capture(const DeviceBufferPtr& input, const DeviceBufferPtr& output) {
  CaptureState& st = state();
  cudaGraph_t graph = nullptr;
  std::shared_ptr<CapturePool> pool;
  std::vector<DeviceBufferPtr> held;
  cudaError_t err;
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    if (!st.active.load()) throw Error("graph capture: no capture is in progress");
    if (st.thread.load() != std::this_thread::get_id()) throw Error("graph capture: the capture was begun on another thread");
    const bool input_ok = input != nullptr && input->capture_pool() != st.pool.get();
    err = finish_capture_locked(st, &graph, &pool, &held);
    if (err == cudaSuccess && graph != nullptr && (!input_ok || output == nullptr)) {
      cudaGraphDestroy(graph);
      release_capture_pool(*pool);
      throw Error(input_ok ? "graph capture: no output buffer"
                           : "graph capture: the input must be a buffer made before the capture began");
    }
  }
  free_deferred_host_copies();
  if (err != cudaSuccess || graph == nullptr) {
    release_capture_pool(*pool);
    if (err == cudaSuccess) err = cudaErrorStreamCaptureInvalidated;
    throw_cuda_error(err, "cudaStreamEndCapture (an op queued work a CUDA graph cannot record)", __FILE__, __LINE__);
  }
  cudaGraphExec_t exec = nullptr;
  err = cudaGraphInstantiate(&exec, graph, 0);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    cudaGraphDestroy(graph);
    release_capture_pool(*pool);
    throw_cuda_error(err, "cudaGraphInstantiate", __FILE__, __LINE__);
  }
  return std::make_shared<Graph>(graph, exec, std::move(pool), input, output, std::move(held));
}

bool abort_capture() {
  CaptureState& st = state();
  cudaGraph_t graph = nullptr;
  std::shared_ptr<CapturePool> pool;
  std::vector<DeviceBufferPtr> held;
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    if (!st.active.load()) return false;
    finish_capture_locked(st, &graph, &pool, &held);
  }
  if (graph != nullptr) cudaGraphDestroy(graph);
  if (pool != nullptr) release_capture_pool(*pool);
  free_deferred_host_copies();
  return true;
}

Graph::Graph(void* graph, void* exec, std::shared_ptr<CapturePool> pool, DeviceBufferPtr input, DeviceBufferPtr output,
             std::vector<DeviceBufferPtr> held)
    : graph_(graph), exec_(exec), pool_(std::move(pool)), input_(std::move(input)), output_(std::move(output)),
      held_(std::move(held)) {
  size_t n = 0;
  if (cudaGraphGetNodes(static_cast<cudaGraph_t>(graph_), nullptr, &n) != cudaSuccess) {
    (void)cudaGetLastError();
    n = 0;
  }
  nodes_ = n;
}

Graph::~Graph() {
  // Destroying an executable graph waits for nothing; later work on the engine's stream (which reuses
  // the pool's blocks) is ordered after the last replay.
  if (exec_ != nullptr) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec_));
  if (graph_ != nullptr) cudaGraphDestroy(static_cast<cudaGraph_t>(graph_));
  if (pool_ != nullptr) release_capture_pool(*pool_);
}

size_t Graph::pool_bytes() const { return capture_pool_bytes(*pool_); }

DeviceBufferPtr Graph::launch(const DeviceBuffer& x) {
  check_not_capturing("replaying a CUDA graph");
  if (x.bytes() != input_->bytes()) {
    throw Error("graph launch: the input has " + std::to_string(x.bytes()) + " bytes; the graph was captured with " +
                std::to_string(input_->bytes()) + " bytes");
  }
  cudaStream_t s = stream();
  auto out = std::make_shared<DeviceBuffer>(output_->bytes(), DeviceBuffer::Zeroing::kNone);
  if (x.data() != input_->data() && x.bytes() > 0) {
    CUDA_CHECK(cudaMemcpyAsync(input_->data(), x.data(), x.bytes(), cudaMemcpyDeviceToDevice, s));
  }
  CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec_), s));
  if (out->bytes() > 0) {
    CUDA_CHECK(cudaMemcpyAsync(out->data(), output_->data(), out->bytes(), cudaMemcpyDeviceToDevice, s));
  }
  return out;
}

}  // namespace cuda
}  // namespace effnet
