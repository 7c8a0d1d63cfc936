// A stand-in for the CUDA runtime, for compiling the engine's host-side memory and graph code
// (cuda/allocator.cu, cuda/graph.cu, cuda/download.cu) with a plain C++ compiler and checking it on a
// machine without a GPU (test/native/graph_capture_check.cc). "Device" memory is host memory; the one
// stream runs each operation as it is queued, or records it while a capture is in progress, as CUDA
// does; a graph replays what was recorded, in order. Only what those files call is here. Kernels do
// not exist: the check moves data with copies and fills.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __global__

// CUDA's device code has these in the global namespace.
using std::isfinite;
using std::isnan;

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorStreamCaptureInvalidated = 901,
  cudaErrorIllegalState = 401,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorNotPermitted = 800,
  cudaErrorDevicesUnavailable = 46,
  cudaErrorNoKernelImageForDevice = 209,
  cudaErrorUnsupportedPtxVersion = 222,
};
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 };
enum cudaStreamCaptureMode { cudaStreamCaptureModeGlobal = 0, cudaStreamCaptureModeThreadLocal = 1, cudaStreamCaptureModeRelaxed = 2 };
constexpr unsigned cudaStreamNonBlocking = 1;
constexpr unsigned cudaEventDisableTiming = 2;

namespace fake_cuda {
using Op = std::function<void()>;
struct Stream {
  bool capturing = false;
  std::vector<Op> recorded;
};
struct Graph {
  std::vector<Op> ops;
};
struct Counters {
  long mallocs = 0, frees = 0, host_allocs = 0, host_frees = 0, memsets = 0, copies = 0, launches = 0;
  long syncs_while_capturing = 0;  // synchronisations of a stream that was being captured (CUDA refuses them)
  long pageable_copies_recorded = 0;
};
inline Counters& counters() {
  static Counters c;
  return c;
}
// Pinned host allocations (cudaMallocHost), to tell them from pageable memory.
inline std::vector<std::pair<const char*, size_t>>& pinned() {
  static std::vector<std::pair<const char*, size_t>> p;
  return p;
}
inline bool is_pinned(const void* p) {
  for (auto& r : pinned()) {
    if (static_cast<const char*>(p) >= r.first && static_cast<const char*>(p) < r.first + r.second) return true;
  }
  return false;
}
inline cudaError_t enqueue(Stream* s, Op op) {
  if (s != nullptr && s->capturing) {
    s->recorded.push_back(std::move(op));
  } else {
    op();
  }
  return cudaSuccess;
}
}  // namespace fake_cuda

using cudaStream_t = fake_cuda::Stream*;
using cudaGraph_t = fake_cuda::Graph*;
using cudaGraphExec_t = fake_cuda::Graph*;
using cudaGraphNode_t = void*;
using cudaEvent_t = int*;

inline const char* cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : "cudaErrorFake"; }
inline const char* cudaGetErrorString(cudaError_t) { return "fake CUDA error"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }

// One device of compute capability 9.0.
struct cudaDeviceProp {
  char name[256];
  int major, minor;
  size_t totalGlobalMem;
  int multiProcessorCount;
  int l2CacheSize;
};
inline cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}
inline cudaError_t cudaDriverGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::strcpy(p->name, "fake GPU (host memory)");
  p->major = 9;
  p->minor = 0;
  p->totalGlobalMem = size_t(1) << 34;
  p->multiProcessorCount = 1;
  p->l2CacheSize = 1 << 20;
  return cudaSuccess;
}
inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
inline cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total) {
  *free_bytes = *total = size_t(1) << 34;
  return cudaSuccess;
}

inline cudaError_t cudaMalloc(void** p, size_t bytes) {
  *p = std::malloc(bytes == 0 ? 1 : bytes);
  std::memset(*p, 0xA5, bytes);  // never zero: a missing zero fill shows
  fake_cuda::counters().mallocs++;
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) {
  if (p == nullptr) return cudaSuccess;  // context creation
  std::free(p);
  fake_cuda::counters().frees++;
  return cudaSuccess;
}
inline cudaError_t cudaMallocHost(void** p, size_t bytes) {
  *p = std::malloc(bytes == 0 ? 1 : bytes);
  fake_cuda::pinned().push_back({static_cast<const char*>(*p), bytes});
  fake_cuda::counters().host_allocs++;
  return cudaSuccess;
}
inline cudaError_t cudaFreeHost(void* p) {
  auto& v = fake_cuda::pinned();
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].first == p) {
      v.erase(v.begin() + static_cast<long>(i));
      break;
    }
  }
  std::free(p);
  fake_cuda::counters().host_frees++;
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t s) {
  fake_cuda::counters().memsets++;
  return fake_cuda::enqueue(s, [=] { std::memset(p, value, bytes); });
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s) {
  fake_cuda::counters().copies++;
  if (s != nullptr && s->capturing) {
    // A graph cannot record a copy from pageable host memory.
    if (kind == cudaMemcpyHostToDevice && !fake_cuda::is_pinned(src)) {
      fake_cuda::counters().pageable_copies_recorded++;
      return cudaErrorStreamCaptureUnsupported;
    }
    if (kind == cudaMemcpyDeviceToHost) return cudaErrorStreamCaptureUnsupported;
  }
  return fake_cuda::enqueue(s, [=] { std::memmove(dst, src, bytes); });
}
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  *s = new fake_cuda::Stream();
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  if (s != nullptr && s->capturing) {
    fake_cuda::counters().syncs_while_capturing++;
    return cudaErrorStreamCaptureUnsupported;
  }
  return cudaSuccess;
}
inline cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode) {
  if (s == nullptr || s->capturing) return cudaErrorIllegalState;
  s->capturing = true;
  s->recorded.clear();
  return cudaSuccess;
}
inline cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* g) {
  if (s == nullptr || !s->capturing) return cudaErrorIllegalState;
  s->capturing = false;
  *g = new fake_cuda::Graph{std::move(s->recorded)};
  s->recorded.clear();
  return cudaSuccess;
}
inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t* e, cudaGraph_t g, unsigned long long) {
  *e = new fake_cuda::Graph{g->ops};
  return cudaSuccess;
}
inline cudaError_t cudaGraphGetNodes(cudaGraph_t g, cudaGraphNode_t*, size_t* n) {
  *n = g->ops.size();
  return cudaSuccess;
}
inline cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t s) {
  fake_cuda::counters().launches++;
  if (s != nullptr && s->capturing) return cudaErrorStreamCaptureUnsupported;
  for (auto& op : e->ops) op();
  return cudaSuccess;
}
inline cudaError_t cudaGraphDestroy(cudaGraph_t g) {
  delete g;
  return cudaSuccess;
}
inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) {
  delete e;
  return cudaSuccess;
}
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) {
  *e = new int(0);
  return cudaSuccess;
}
inline cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}
inline cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t s) {
  return s != nullptr && s->capturing ? cudaErrorStreamCaptureUnsupported : cudaSuccess;
}
inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
inline cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned) { return cudaSuccess; }
