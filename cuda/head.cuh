// The three kernels of EffnetHead on the GPU (cuda/head.cu launches them; formulas in
// effnet_cuda/head.h). Device code only, using nothing but CUDA built-ins, so the same source also
// compiles as host C++ under a thin emulation of the built-ins (threads and a barrier per block).
//
//  1. head_conv_pool_kernel, one block of 256 threads per (64 head channels, 64 pixels, image):
//     the 1x1 conv as a 64x64 GEMM tile (K in slices of 16 through shared memory, each thread 4x4
//     outputs: pixels ty + 16 i, channels tx + 16 j), + bias + swish, then the tile's per-channel sum:
//     each thread adds its 4 pixels (i in order), the 16 row groups are added in ty order.
//     partial [N, tiles, Chead]. Fixed order everywhere, no atomics: the same bits on every run.
//  2. tile_mean_kernel (cuda/tile_mean.cuh): mean [N, Chead] = (sum over tiles of partial, in double,
//     tiles in order) / P.
//  3. head_dense_kernel: out [N, classes] = bias + mean * Wd; 32 outputs a block, the channel sum
//     split over 8 warps (warp w takes channels c = w mod 8), the warps' sums added in warp order.
#pragma once
#include <cstdint>

#include "tile_mean.cuh"

namespace effnet {
namespace cuda {
namespace head_kernels {

constexpr int kThreads = 256;
constexpr int kTileP = 64;   // pixels a block
constexpr int kTileC = 64;   // head channels a block
constexpr int kSliceK = 16;  // input channels a shared-memory slice
constexpr int kDenseWarps = kThreads / 32;

struct ConvPoolArgs {
  const float* x;    // [N, P, Cin]
  const float* wc;   // [Cin, Chead]
  const float* bc;   // [Chead]
  float* partial;    // [N, tiles, Chead]
  int n0;            // first image of this launch (blockIdx.z counts from it)
  int P, Cin, Ch, tiles;
};

__device__ __forceinline__ float head_swish(float v) { return v / (1.f + expf(-v)); }

__global__ void __launch_bounds__(kThreads) head_conv_pool_kernel(ConvPoolArgs a) {
  __shared__ float xs[kSliceK][kTileP + 1];
  __shared__ float ws[kSliceK][kTileC + 1];
  __shared__ float red[kThreads / 16][kTileC];
  const int tid = static_cast<int>(threadIdx.x);
  const int tx = tid % 16, ty = tid / 16;
  const int c0 = static_cast<int>(blockIdx.x) * kTileC;
  const int tile = static_cast<int>(blockIdx.y);
  const int p0 = tile * kTileP;
  const int64_t n = a.n0 + static_cast<int64_t>(blockIdx.z);
  const float* xn = a.x + n * a.P * a.Cin;

  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
  }
  for (int k0 = 0; k0 < a.Cin; k0 += kSliceK) {
    // x slice: 64 pixels x 16 channels, consecutive threads along the channels of a pixel.
#pragma unroll
    for (int j = 0; j < (kTileP * kSliceK) / kThreads; ++j) {
      const int e = tid + j * kThreads;
      const int pl = e / kSliceK, kl = e % kSliceK;
      const int p = p0 + pl, k = k0 + kl;
      xs[kl][pl] = (p < a.P && k < a.Cin) ? xn[static_cast<int64_t>(p) * a.Cin + k] : 0.f;
    }
    // Weight slice: 16 input channels x 64 head channels, consecutive threads along the head channels.
#pragma unroll
    for (int j = 0; j < (kTileC * kSliceK) / kThreads; ++j) {
      const int e = tid + j * kThreads;
      const int kl = e / kTileC, cl = e % kTileC;
      const int k = k0 + kl, c = c0 + cl;
      ws[kl][cl] = (k < a.Cin && c < a.Ch) ? a.wc[static_cast<int64_t>(k) * a.Ch + c] : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kSliceK; ++kk) {
      float av[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) av[i] = xs[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) bv[j] = ws[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
      }
    }
    __syncthreads();
  }
  // Bias + swish, and this thread's sum over its 4 pixels of each of its 4 channels.
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int cl = tx + 16 * j, c = c0 + cl;
    float s = 0.f;
    if (c < a.Ch) {
      const float bias = a.bc[c];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        if (p0 + ty + 16 * i < a.P) s += head_swish(acc[i][j] + bias);
      }
    }
    red[ty][cl] = s;
  }
  __syncthreads();
  if (tid < kTileC) {
    const int c = c0 + tid;
    if (c < a.Ch) {
      float total = 0.f;
      for (int r = 0; r < kThreads / 16; ++r) total += red[r][tid];
      a.partial[(n * a.tiles + tile) * a.Ch + c] = total;
    }
  }
}

// out[n][j] = bd[j] + sum_c mean[n][c] * wd[c][j]; blockIdx.x: outputs 32 x .. 32 x + 31, blockIdx.y:
// image n0 + y.
__global__ void __launch_bounds__(kThreads) head_dense_kernel(const float* __restrict__ mean, const float* __restrict__ wd,
                                                              const float* __restrict__ bd, float* __restrict__ out,
                                                              int n0, int ch, int classes) {
  __shared__ float part[kDenseWarps][32];
  const int lane = static_cast<int>(threadIdx.x) % 32, warp = static_cast<int>(threadIdx.x) / 32;
  const int j = static_cast<int>(blockIdx.x) * 32 + lane;
  const int64_t n = n0 + static_cast<int64_t>(blockIdx.y);
  float s = 0.f;
  if (j < classes) {
    const float* m = mean + n * ch;
    for (int c = warp; c < ch; c += kDenseWarps) s = fmaf(m[c], wd[static_cast<int64_t>(c) * classes + j], s);
  }
  part[warp][lane] = s;
  __syncthreads();
  if (warp == 0 && j < classes) {
    float t = bd[j];
    for (int w = 0; w < kDenseWarps; ++w) t += part[w][lane];
    out[n * classes + j] = t;
  }
}

}  // namespace head_kernels
}  // namespace cuda
}  // namespace effnet
