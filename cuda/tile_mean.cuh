// The per-channel mean of per-tile partial sums, a launch of both fused kernels (the head's pooling
// in cuda/head.cuh, the squeeze-and-excitation mean in cuda/mbconv.cu). Device code only, using
// nothing but CUDA built-ins.
#pragma once
#include <cstdint>

namespace effnet {
namespace cuda {
namespace {

// mean[n][c] = (sum over tiles of partial[n][tile][c], in double, tiles in order) * inv_count for
// c < ch; blockIdx.y: image n0 + y. One thread a channel, a fixed order: the same bits on every run.
__global__ void tile_mean_kernel(const float* __restrict__ partial, float* __restrict__ mean, int n0, int tiles, int ch,
                                 double inv_count) {
  const int c = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int64_t n = n0 + static_cast<int64_t>(blockIdx.y);
  if (c >= ch) return;
  const float* p = partial + n * tiles * ch + c;
  double total = 0;
  for (int t = 0; t < tiles; ++t) total += p[static_cast<int64_t>(t) * ch];
  mean[n * ch + c] = static_cast<float>(total * inv_count);
}

}  // namespace
}  // namespace cuda
}  // namespace effnet
