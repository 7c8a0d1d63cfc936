// OneHot: out[i, k] = indices[i] == k ? on : off, one thread per output element.
#include <cstring>
#include <string>

#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

template <typename T>
__global__ void one_hot_kernel(const int32_t* __restrict__ indices, size_t depth, T on, T off, T* __restrict__ out,
                               size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t r = i / depth, k = i - r * depth;
    out[i] = static_cast<int64_t>(indices[r]) == static_cast<int64_t>(k) ? on : off;
  }
}

template <typename T>
void launch(const int32_t* idx, size_t depth, const void* on, const void* off, void* out, size_t n, cudaStream_t s) {
  T a, b;
  std::memcpy(&a, on, sizeof(T));
  std::memcpy(&b, off, sizeof(T));
  one_hot_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(idx, depth, a, b, static_cast<T*>(out), n);
  CUDA_CHECK_LAUNCH("oneHot");
}

}  // namespace

void one_hot(size_t elem_size, size_t count, size_t depth, const int32_t* indices, const void* on, const void* off,
             void* out) {
  const size_t n = count * depth;
  if (n == 0) return;
  cudaStream_t s = stream();
  switch (elem_size) {
    case 1: return launch<uint8_t>(indices, depth, on, off, out, n, s);
    case 4: return launch<uint32_t>(indices, depth, on, off, out, n, s);
    default: throw Error("OneHot: element size " + std::to_string(elem_size) + " is not supported");
  }
}

}  // namespace cuda
}  // namespace effnet
