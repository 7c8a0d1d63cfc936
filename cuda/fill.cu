// Fill: every element of out = one value (given as the output type's bytes).
#include <cstring>

#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

template <typename T>
__global__ void fill_kernel(T* out, size_t n, T value) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    out[i] = value;
  }
}

template <typename T>
void launch(void* out, size_t n, const void* value, cudaStream_t s) {
  T v;
  std::memcpy(&v, value, sizeof(T));
  fill_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<T*>(out), n, v);
  CUDA_CHECK_LAUNCH("fill");
}

}  // namespace

void fill(void* out, size_t elem_size, size_t n, const void* value) {
  if (n == 0) return;
  cudaStream_t s = stream();
  switch (elem_size) {
    case 1: return launch<uint8_t>(out, n, value, s);
    case 4: return launch<uint32_t>(out, n, value, s);
    default: throw Error("Fill: element size " + std::to_string(elem_size) + " is not supported");
  }
}

}  // namespace cuda
}  // namespace effnet
