// Softmax over the last axis of a (rows, cols) float32 matrix: one block per row computes the max,
// the sum of exp(x - max) and writes exp(x - max) / sum.
#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

__global__ void softmax_kernel(const float* __restrict__ x, float* __restrict__ y, size_t rows, size_t cols) {
  __shared__ float partial[kThreads];
  for (size_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = -CUDART_INF_F;
    for (size_t c = threadIdx.x; c < cols; c += blockDim.x) m = isnan(xr[c]) || isnan(m) ? CUDART_NAN_F : fmaxf(m, xr[c]);
    partial[threadIdx.x] = m;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) {
        const float a = partial[threadIdx.x], b = partial[threadIdx.x + s];
        partial[threadIdx.x] = isnan(a) || isnan(b) ? CUDART_NAN_F : fmaxf(a, b);
      }
      __syncthreads();
    }
    const float max = partial[0];
    __syncthreads();
    float sum = 0.f;
    for (size_t c = threadIdx.x; c < cols; c += blockDim.x) {
      const float e = expf(xr[c] - max);
      yr[c] = e;
      sum += e;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
      __syncthreads();
    }
    const float total = partial[0];
    for (size_t c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = yr[c] / total;
    __syncthreads();
  }
}

}  // namespace

void softmax(const float* x, float* y, size_t rows, size_t cols) {
  if (rows == 0 || cols == 0) return;
  const unsigned blocks = static_cast<unsigned>(rows < 65535u * 8u ? rows : 65535u * 8u);
  softmax_kernel<<<blocks, kThreads, 0, stream()>>>(x, y, rows, cols);
  CUDA_CHECK_LAUNCH("softmax");
}

}  // namespace cuda
}  // namespace effnet
