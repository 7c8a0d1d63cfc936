// Tensor-core GEMM (WMMA) with the interface of gemm.cuh: C[b] (M x N, row-major) = A[b] (M x K) *
// B[b] (K x N), then the fused epilogue, A and B read through the same loader functors. Storage stays
// float32: each K slice of A and B is converted while it is staged into shared memory, to TF32
// (T = float, cvt.rna: round to nearest, ties away; m16n16k8 fragments), fp16 (T = __half) or bf16
// (T = __nv_bfloat16), both round-to-nearest-even with m16n16k16 fragments. Accumulation is float32.
//
// A block of kTcThreads = 128 threads (4 warps) computes a 64 x 64 tile of C; warp w owns the 32 x 32
// quarter at rows 32 (w / 2), columns 32 (w % 2): 2 x 2 accumulator fragments of 16 x 16. K runs in
// slices of kTcBK = 32: As [64][32 + pad] (row-major, m by k) and Bs [32][64 + pad] (row-major, k by
// n), zeros where m >= M, n >= N or k >= K, so partial tiles need no other care. At the end the
// accumulators go through shared memory (Cs [64][64 + 4] floats) and every thread applies the epilogue
// to the in-range elements it owns (consecutive threads, consecutive columns).
//
// WMMA's rules, checked by static_asserts and the tc_* offsets below: ldm a multiple of 8 elements for
// 16-bit types and of 4 for float (16 bytes), every fragment pointer 32-byte aligned (shared arrays
// aligned to 128 bytes, fragment rows multiples of 16, fragment columns multiples of 8 floats or 16
// halves). Needs sm_80 (TF32, bf16); the addon is built for sm_80 and newer only (device.cu refuses
// older GPUs), and on an older target the kernel body compiles to a trap.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>

#include "gemm.cuh"

namespace effnet {
namespace cuda {

constexpr int kTcBM = 64, kTcBN = 64, kTcBK = 32, kTcThreads = 128;
constexpr int kTcWarpM = 32, kTcWarpN = 32;       // each warp's share of the tile
constexpr int kTcWarpsN = kTcBN / kTcWarpN;        // 2 warps across, 2 down
constexpr int kTcFrag = 16;                        // fragment rows and columns
constexpr int kTcLdC = kTcBN + 4;                  // Cs row length (floats)
static_assert((kTcBM / kTcWarpM) * kTcWarpsN * 32 == kTcThreads, "one warp per 32 x 32 quarter");
static_assert((kTcBM * kTcBK) % kTcThreads == 0 && (kTcBK * kTcBN) % kTcThreads == 0, "staging loops");
static_assert((kTcBM * kTcBN) % kTcThreads == 0, "epilogue loop");

// Per storage type: the fragment's K and the row padding of As / Bs (elements; 16 bytes keeps ldm legal
// and shifts successive rows across banks).
template <class T>
struct TcFormat;
template <>
struct TcFormat<float> {  // TF32
  static constexpr int kFragK = 8, kPad = 4;
};
template <>
struct TcFormat<__half> {
  static constexpr int kFragK = 16, kPad = 8;
};
template <>
struct TcFormat<__nv_bfloat16> {
  static constexpr int kFragK = 16, kPad = 8;
};

// Layout of one block's shared memory for storage type T, in elements of T (As, Bs) and floats (Cs).
template <class T>
struct TcLayout {
  static constexpr int kLdA = kTcBK + TcFormat<T>::kPad;  // As[kTcBM][kLdA]
  static constexpr int kLdB = kTcBN + TcFormat<T>::kPad;  // Bs[kTcBK][kLdB]
  static constexpr int kABytes = kTcBM * kLdA * static_cast<int>(sizeof(T));
  static constexpr int kBBytes = kTcBK * kLdB * static_cast<int>(sizeof(T));
  static constexpr int kCBytes = kTcBM * kTcLdC * static_cast<int>(sizeof(float));
  static constexpr int kBytes = kABytes + kBBytes + kCBytes;
  static_assert((kLdA * sizeof(T)) % 16 == 0 && (kLdB * sizeof(T)) % 16 == 0 && (kTcLdC * 4) % 16 == 0, "ldm");
  static_assert(kABytes % 128 == 0 && kBBytes % 128 == 0, "Bs and Cs stay 128-byte aligned");
  static_assert(kBytes <= 48 * 1024, "static shared memory");
  static_assert(kTcBK % TcFormat<T>::kFragK == 0, "K slice in whole fragments");
};

// Index math shared by the kernel and the host check of it (scripts/check_tensor_core_gemm.cu).
// Staging: element e (0 <= e < kTcBM * kTcBK) of As is row e / kTcBK, column e % kTcBK; element e of
// Bs is row e / kTcBN, column e % kTcBN (consecutive threads read consecutive k of A, n of B).
__host__ __device__ constexpr int tc_warp_row(int warp) { return (warp / kTcWarpsN) * kTcWarpM; }
__host__ __device__ constexpr int tc_warp_col(int warp) { return (warp % kTcWarpsN) * kTcWarpN; }
// Offsets (elements) of fragment tiles in As, Bs and Cs.
template <class T>
__host__ __device__ constexpr int tc_a_offset(int row, int kk) { return row * TcLayout<T>::kLdA + kk; }
template <class T>
__host__ __device__ constexpr int tc_b_offset(int kk, int col) { return kk * TcLayout<T>::kLdB + col; }
__host__ __device__ constexpr int tc_c_offset(int row, int col) { return row * kTcLdC + col; }

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
// The WMMA element type of storage type T, and the conversion applied while staging.
template <class T>
struct TcElement {
  using type = T;
};
template <>
struct TcElement<float> {
  using type = nvcuda::wmma::precision::tf32;
};
__device__ __forceinline__ void tc_store(float* p, float v) { *p = nvcuda::wmma::__float_to_tf32(v); }
__device__ __forceinline__ void tc_store(__half* p, float v) { *p = __float2half_rn(v); }
__device__ __forceinline__ void tc_store(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }
#endif

template <class T, class ALoad, class BLoad>
__global__ void __launch_bounds__(kTcThreads) gemm_tc_kernel(ALoad a, BLoad b, float* __restrict__ c, int64_t M, int64_t N,
                                                             int64_t K, DeviceEpilogue ep) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  using L = TcLayout<T>;
  using E = typename TcElement<T>::type;
  constexpr int FK = TcFormat<T>::kFragK;
  __shared__ __align__(128) unsigned char smem[L::kBytes];
  T* As = reinterpret_cast<T*>(smem);
  T* Bs = reinterpret_cast<T*>(smem + L::kABytes);
  float* Cs = reinterpret_cast<float*>(smem + L::kABytes + L::kBBytes);

  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int wr = tc_warp_row(warp), wc = tc_warp_col(warp);
  const int64_t batch = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kTcBM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kTcBN;

  wmma::fragment<wmma::accumulator, kTcFrag, kTcFrag, FK, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);
  }

  for (int64_t k0 = 0; k0 < K; k0 += kTcBK) {
#pragma unroll 4
    for (int j = 0; j < (kTcBM * kTcBK) / kTcThreads; ++j) {
      const int e = tid + j * kTcThreads;
      const int ml = e / kTcBK, kl = e % kTcBK;
      const int64_t m = m0 + ml, k = k0 + kl;
      tc_store(As + tc_a_offset<T>(ml, kl), (m < M && k < K) ? a(batch, m, k) : 0.f);
    }
#pragma unroll 4
    for (int j = 0; j < (kTcBK * kTcBN) / kTcThreads; ++j) {
      const int e = tid + j * kTcThreads;
      const int kl = e / kTcBN, nl = e % kTcBN;
      const int64_t n = n0 + nl, k = k0 + kl;
      tc_store(Bs + tc_b_offset<T>(kl, nl), (n < N && k < K) ? b(batch, k, n) : 0.f);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTcBK; kk += FK) {
      wmma::fragment<wmma::matrix_a, kTcFrag, kTcFrag, FK, E, wmma::row_major> fa[2];
      wmma::fragment<wmma::matrix_b, kTcFrag, kTcFrag, FK, E, wmma::row_major> fb[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(fa[i], As + tc_a_offset<T>(wr + kTcFrag * i, kk), L::kLdA);
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], Bs + tc_b_offset<T>(kk, wc + kTcFrag * j), L::kLdB);
#pragma unroll
      for (int i = 0; i < 2; ++i) {
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
      }
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 2; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(Cs + tc_c_offset(wr + kTcFrag * i, wc + kTcFrag * j), acc[i][j], kTcLdC,
                              wmma::mem_row_major);
    }
  }
  __syncthreads();
  float* cb = c + batch * M * N;
  for (int e = tid; e < kTcBM * kTcBN; e += kTcThreads) {
    const int ml = e / kTcBN, nl = e % kTcBN;
    const int64_t m = m0 + ml, n = n0 + nl;
    if (m >= M || n >= N) continue;
    const float v = Cs[tc_c_offset(ml, nl)];
    if (HasRepair<ALoad, BLoad>::value && isnan(v)) continue;  // the loop below
    const size_t flat = static_cast<size_t>(batch * M * N + m * N + n);
    cb[m * N + n] = apply_epilogue(ep, v, flat, static_cast<size_t>(n));
  }
  // NaN sums the loader may repair (gemm.cuh's HasRepair), apart so that their registers stay out of the loop above.
  if (HasRepair<ALoad, BLoad>::value) {
    for (int e = tid; e < kTcBM * kTcBN; e += kTcThreads) {
      const int ml = e / kTcBN, nl = e % kTcBN;
      const int64_t m = m0 + ml, n = n0 + nl;
      if (m >= M || n >= N || !isnan(Cs[tc_c_offset(ml, nl)])) continue;
      const size_t flat = static_cast<size_t>(batch * M * N + m * N + n);
      cb[m * N + n] = apply_epilogue(ep, gemm_sum<true>(a, b, batch, m, n, CUDART_NAN_F), flat, static_cast<size_t>(n));
    }
  }
#elif defined(__CUDA_ARCH__)
  __trap();  // tensor cores with TF32 / bf16 need sm_80; the addon never runs on older GPUs
#endif
}

template <class T, class ALoad, class BLoad>
void launch_gemm_tc(const ALoad& a, const BLoad& b, float* c, int64_t batch, int64_t M, int64_t N, int64_t K,
                    const DeviceEpilogue& ep, cudaStream_t s) {
  if (batch == 0 || M == 0 || N == 0) return;
  if (batch > 65535) throw Error("gemm: batch of more than 65535 matrices");
  const int64_t grid_m = (M + kTcBM - 1) / kTcBM;
  if (grid_m > 65535) throw Error("gemm: more than 65535 row tiles (M = " + std::to_string(M) + ")");
  const int64_t grid_n = (N + kTcBN - 1) / kTcBN;
  if (grid_n > 0x7fffffff) throw Error("gemm: N = " + std::to_string(N) + " is out of range");
  dim3 grid(static_cast<unsigned>(grid_n), static_cast<unsigned>(grid_m), static_cast<unsigned>(batch));
  gemm_tc_kernel<T, ALoad, BLoad><<<grid, kTcThreads, 0, s>>>(a, b, c, M, N, K, ep);
  CUDA_CHECK_LAUNCH("gemm (tensor cores)");
}

// The GEMM in precision `p` (effnet_cuda/cuda.h): kFp32 runs gemm.cuh's SIMT kernel, the others this
// file's tensor-core kernel. Callers pass precision() once per op.
template <class ALoad, class BLoad>
void launch_gemm_in(Precision p, const ALoad& a, const BLoad& b, float* c, int64_t batch, int64_t M, int64_t N,
                    int64_t K, const DeviceEpilogue& ep, cudaStream_t s) {
  switch (p) {
    case Precision::kTf32: launch_gemm_tc<float>(a, b, c, batch, M, N, K, ep, s); return;
    case Precision::kFp16: launch_gemm_tc<__half>(a, b, c, batch, M, N, K, ep, s); return;
    case Precision::kBf16: launch_gemm_tc<__nv_bfloat16>(a, b, c, batch, M, N, K, ep, s); return;
    case Precision::kFp32:
    default: launch_gemm(a, b, c, batch, M, N, K, ep, s); return;
  }
}

}  // namespace cuda
}  // namespace effnet
