// Tiled float32 GEMM shared by Conv2D (implicit im2col) and BatchMatMul: C[b] (M x N, row-major) =
// A[b] (M x K) * B[b] (K x N), then the fused epilogue. A and B are read through loader functors, so
// convolution never materialises its im2col matrix. 64x64 output tiles, K in slices of 16 through
// shared memory, 256 threads computing 4x4 outputs each (rows ty + 16 i, columns tx + 16 j).
#pragma once
#include <type_traits>
#include <utility>

#include "epilogue.cuh"

namespace effnet {
namespace cuda {

constexpr int kGemmBM = 64, kGemmBN = 64, kGemmBK = 16, kGemmThreads = 256;

// An A loader may correct the sums it made wrong (Im2ColLoad::repair: zeros standing in for padding
// times infinite weights); the GEMMs pass their NaN outputs through it before the epilogue.
template <class ALoad, class BLoad, class = void>
struct HasRepair : std::false_type {};
template <class ALoad, class BLoad>
struct HasRepair<ALoad, BLoad,
                 std::void_t<decltype(std::declval<const ALoad&>().template repair<false>(int64_t(), int64_t(), int64_t(),
                                                                          std::declval<const BLoad&>(), 0.f))>>
    : std::true_type {};

template <bool kOutOfLine = false, class ALoad, class BLoad>
__device__ __forceinline__ float gemm_sum(const ALoad& a, const BLoad& b, int64_t batch, int64_t m, int64_t n, float v) {
  if constexpr (HasRepair<ALoad, BLoad>::value) {
    return a.template repair<kOutOfLine>(batch, m, n, b, v);
  } else {
    return v;
  }
}

template <class ALoad, class BLoad>
__global__ void __launch_bounds__(kGemmThreads) gemm_kernel(ALoad a, BLoad b, float* __restrict__ c, int64_t M, int64_t N,
                                                            int64_t K, DeviceEpilogue ep) {
  __shared__ float As[kGemmBK][kGemmBM + 1];
  __shared__ float Bs[kGemmBK][kGemmBN + 1];
  const int tid = threadIdx.x;
  const int tx = tid % 16, ty = tid / 16;
  const int64_t batch = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kGemmBM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kGemmBN;
  float acc[4][4] = {};
  for (int64_t k0 = 0; k0 < K; k0 += kGemmBK) {
#pragma unroll
    for (int j = 0; j < (kGemmBM * kGemmBK) / kGemmThreads; ++j) {
      const int e = tid + j * kGemmThreads;
      const int ml = e / kGemmBK, kl = e % kGemmBK;
      const int64_t m = m0 + ml, k = k0 + kl;
      As[kl][ml] = (m < M && k < K) ? a(batch, m, k) : 0.f;
    }
#pragma unroll
    for (int j = 0; j < (kGemmBN * kGemmBK) / kGemmThreads; ++j) {
      const int e = tid + j * kGemmThreads;
      const int kl = e / kGemmBN, nl = e % kGemmBN;
      const int64_t n = n0 + nl, k = k0 + kl;
      Bs[kl][nl] = (n < N && k < K) ? b(batch, k, n) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kGemmBK; ++kk) {
      float av[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) av[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) bv[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
      }
    }
    __syncthreads();
  }
  float* cb = c + batch * M * N;
  // Outputs whose loader may repair them (NaN sums, HasRepair) wait until the accumulators are dead,
  // so that the repair's registers do not add to theirs.
  unsigned repair_mask = 0;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + ty + 16 * i;
    if (m >= M) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n0 + tx + 16 * j;
      if (n >= N) continue;
      if (HasRepair<ALoad, BLoad>::value && isnan(acc[i][j])) {
        repair_mask |= 1u << (4 * i + j);
        continue;
      }
      const size_t flat = static_cast<size_t>(batch * M * N + m * N + n);
      cb[m * N + n] = apply_epilogue(ep, acc[i][j], flat, static_cast<size_t>(n));
    }
  }
  if (HasRepair<ALoad, BLoad>::value) {
    for (int bit = 0; bit < 16 && repair_mask != 0; ++bit) {
      if (!(repair_mask >> bit & 1u)) continue;
      const int64_t m = m0 + ty + 16 * (bit / 4), n = n0 + tx + 16 * (bit % 4);
      const size_t flat = static_cast<size_t>(batch * M * N + m * N + n);
      cb[m * N + n] = apply_epilogue(ep, gemm_sum(a, b, batch, m, n, CUDART_NAN_F), flat, static_cast<size_t>(n));
    }
  }
}

// The launcher only under nvcc: test/native/conv_repair_check.cc compiles the kernel above as plain C++.
#ifdef __CUDACC__
template <class ALoad, class BLoad>
void launch_gemm(const ALoad& a, const BLoad& b, float* c, int64_t batch, int64_t M, int64_t N, int64_t K,
                 const DeviceEpilogue& ep, cudaStream_t s) {
  if (batch == 0 || M == 0 || N == 0) return;
  if (batch > 65535) throw Error("gemm: batch of more than 65535 matrices");
  const int64_t grid_m = (M + kGemmBM - 1) / kGemmBM;
  if (grid_m > 65535) throw Error("gemm: more than 65535 row tiles (M = " + std::to_string(M) + ")");
  dim3 grid(static_cast<unsigned>((N + kGemmBN - 1) / kGemmBN), static_cast<unsigned>(grid_m), static_cast<unsigned>(batch));
  gemm_kernel<ALoad, BLoad><<<grid, kGemmThreads, 0, s>>>(a, b, c, M, N, K, ep);
  CUDA_CHECK_LAUNCH("gemm");
}
#endif

// Row-major (optionally transposed) matrices with a batch stride; batch index taken modulo `batches`.
struct MatrixLoad {
  const float* p;
  int64_t batches, batch_stride, row_stride, col_stride;
  __device__ __forceinline__ float operator()(int64_t batch, int64_t r, int64_t c) const {
    return p[(batch % batches) * batch_stride + r * row_stride + c * col_stride];
  }
};

}  // namespace cuda
}  // namespace effnet
