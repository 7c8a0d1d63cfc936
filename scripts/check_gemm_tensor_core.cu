// Host check of the tensor-core GEMM's index math (cuda/gemm_tensor_core.cuh), no GPU needed: replays
// the kernel's tile loop on the CPU for every block of the grid, with its constants, offset helpers and
// shared-memory layout, and WMMA's load / mma / store emulated on 16 x 16 tiles. It checks that
//   - every fragment pointer is 32-byte aligned and every ldm legal (WMMA's rules),
//   - fragments read only shared memory staged in the same K slice (no padding, no stale data), and
//     every staged region stays inside its array,
//   - every output element is written exactly once, by the block that owns it,
//   - the result equals a double-precision product of the rounded inputs (so the index math is exact),
// and prints the rounding error against the unrounded product for random inputs in [-1, 1]
// (max |error| / max |C| and max |error| / sum_k |a||b|), the numbers test/gpu/precision.test.ts's
// bounds come from. test/cuda_kernels_emulated.test.ts builds and runs it where nvcc is found; by hand,
// from the project root:
//   nvcc -std=c++17 -I cuda -I cuda/include -I cpp/include -o /tmp/check_tc scripts/check_gemm_tensor_core.cu
//   /tmp/check_tc
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "gemm_tensor_core.cuh"

using namespace effnet::cuda;

namespace {

int failures = 0;
#define EXPECT(cond, ...)                               \
  do {                                                  \
    if (!(cond)) {                                      \
      if (++failures <= 20) {                           \
        std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
        std::printf(__VA_ARGS__);                       \
        std::printf("\n");                              \
      }                                                 \
    }                                                   \
  } while (0)

// The host side of tc_store: cvt.rna.tf32.f32 (nearest, ties away from zero: add half an ulp of the
// 10-bit mantissa to the magnitude, then clear the 13 low bits), __float2half_rn, __float2bfloat16_rn.
float to_tf32(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  std::memcpy(&v, &u, 4);
  return v;
}
void host_store(float* p, float v) { *p = to_tf32(v); }
void host_store(__half* p, float v) { *p = __float2half_rn(v); }
void host_store(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }
float host_load(float v) { return v; }
float host_load(__half v) { return __half2float(v); }
float host_load(__nv_bfloat16 v) { return __bfloat162float(v); }
float round_as(float v, float*) { return to_tf32(v); }
float round_as(float v, __half*) { return __half2float(__float2half_rn(v)); }
float round_as(float v, __nv_bfloat16*) { return __bfloat162float(__float2bfloat16_rn(v)); }

struct Result {
  double err_exact = 0;    // max |C - product of rounded inputs| / sum |a||b|: the index math
  double err_scale = 0;    // max |C - product of the inputs| / max |product|
  double err_bound = 0;    // max |C - product of the inputs| / sum_k |a||b|
};

template <class T>
Result run(int64_t batch, int64_t M, int64_t N, int64_t K, uint32_t seed) {
  using L = TcLayout<T>;
  constexpr int FK = TcFormat<T>::kFragK;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> A(batch * M * K), B(batch * K * N), C(batch * M * N, NAN);
  std::vector<int> writes(batch * M * N, 0);
  for (float& v : A) v = dist(rng);
  for (float& v : B) v = dist(rng);
  // The loaders: MatrixLoad-like row-major access with a batch.
  auto a = [&](int64_t b, int64_t m, int64_t k) { return A[(b * M + m) * K + k]; };
  auto bl = [&](int64_t b, int64_t k, int64_t n) { return B[(b * K + k) * N + n]; };

  const int64_t grid_x = (N + kTcBN - 1) / kTcBN, grid_y = (M + kTcBM - 1) / kTcBM;
  alignas(128) static unsigned char smem[L::kBytes];
  EXPECT(reinterpret_cast<uintptr_t>(smem) % 128 == 0, "smem alignment");
  T* As = reinterpret_cast<T*>(smem);
  T* Bs = reinterpret_cast<T*>(smem + L::kABytes);
  float* Cs = reinterpret_cast<float*>(smem + L::kABytes + L::kBBytes);
  const int a_elems = kTcBM * L::kLdA, b_elems = kTcBK * L::kLdB, c_elems = kTcBM * kTcLdC;
  std::vector<int> a_stamp(a_elems), b_stamp(b_elems), c_writes(c_elems);
  auto aligned32 = [&](const void* p) { return (static_cast<const unsigned char*>(p) - smem) % 32 == 0; };

  for (int64_t bz = 0; bz < batch; ++bz) {
    for (int64_t by = 0; by < grid_y; ++by) {
      for (int64_t bx = 0; bx < grid_x; ++bx) {
        const int64_t m0 = by * kTcBM, n0 = bx * kTcBN;
        float acc[4][2][2][16][16] = {};  // [warp][i][j][row][col]
        std::fill(a_stamp.begin(), a_stamp.end(), -1);
        std::fill(b_stamp.begin(), b_stamp.end(), -1);
        std::fill(c_writes.begin(), c_writes.end(), 0);
        int slice = 0;
        for (int64_t k0 = 0; k0 < K; k0 += kTcBK, ++slice) {
          for (int tid = 0; tid < kTcThreads; ++tid) {
            for (int j = 0; j < (kTcBM * kTcBK) / kTcThreads; ++j) {
              const int e = tid + j * kTcThreads;
              const int ml = e / kTcBK, kl = e % kTcBK;
              const int64_t m = m0 + ml, k = k0 + kl;
              const int off = tc_a_offset<T>(ml, kl);
              EXPECT(off >= 0 && off < a_elems, "As store out of range");
              EXPECT(a_stamp[off] != slice, "As element staged twice");
              a_stamp[off] = slice;
              host_store(As + off, (m < M && k < K) ? a(bz, m, k) : 0.f);
            }
            for (int j = 0; j < (kTcBK * kTcBN) / kTcThreads; ++j) {
              const int e = tid + j * kTcThreads;
              const int kl = e / kTcBN, nl = e % kTcBN;
              const int64_t n = n0 + nl, k = k0 + kl;
              const int off = tc_b_offset<T>(kl, nl);
              EXPECT(off >= 0 && off < b_elems, "Bs store out of range");
              EXPECT(b_stamp[off] != slice, "Bs element staged twice");
              b_stamp[off] = slice;
              host_store(Bs + off, (n < N && k < K) ? bl(bz, k, n) : 0.f);
            }
          }
          // __syncthreads()
          for (int kk = 0; kk < kTcBK; kk += FK) {
            for (int warp = 0; warp < kTcThreads / 32; ++warp) {
              const int wr = tc_warp_row(warp), wc = tc_warp_col(warp);
              float fa[2][16][16], fb[2][16][16];
              for (int i = 0; i < 2; ++i) {  // load_matrix_sync(fa[i], As + offset, kLdA): 16 x FK, row-major
                const int off = tc_a_offset<T>(wr + kTcFrag * i, kk);
                EXPECT(aligned32(As + off), "A fragment pointer not 32-byte aligned");
                for (int r = 0; r < 16; ++r) {
                  for (int q = 0; q < FK; ++q) {
                    const int idx = off + r * L::kLdA + q;
                    EXPECT(idx >= 0 && idx < a_elems && a_stamp[idx] == slice, "A fragment reads unstaged element %d", idx);
                    fa[i][r][q] = host_load(As[idx]);
                  }
                }
              }
              for (int j = 0; j < 2; ++j) {  // load_matrix_sync(fb[j], Bs + offset, kLdB): FK x 16, row-major
                const int off = tc_b_offset<T>(kk, wc + kTcFrag * j);
                EXPECT(aligned32(Bs + off), "B fragment pointer not 32-byte aligned");
                for (int r = 0; r < FK; ++r) {
                  for (int q = 0; q < 16; ++q) {
                    const int idx = off + r * L::kLdB + q;
                    EXPECT(idx >= 0 && idx < b_elems && b_stamp[idx] == slice, "B fragment reads unstaged element %d", idx);
                    fb[j][r][q] = host_load(Bs[idx]);
                  }
                }
              }
              for (int i = 0; i < 2; ++i) {  // mma_sync(acc[i][j], fa[i], fb[j], acc[i][j])
                for (int j = 0; j < 2; ++j) {
                  for (int r = 0; r < 16; ++r) {
                    for (int q = 0; q < 16; ++q) {
                      float s = acc[warp][i][j][r][q];
                      for (int t = 0; t < FK; ++t) s = std::fma(fa[i][r][t], fb[j][t][q], s);
                      acc[warp][i][j][r][q] = s;
                    }
                  }
                }
              }
            }
          }
          // __syncthreads()
        }
        for (int warp = 0; warp < kTcThreads / 32; ++warp) {  // store_matrix_sync(Cs + offset, acc, kTcLdC)
          const int wr = tc_warp_row(warp), wc = tc_warp_col(warp);
          for (int i = 0; i < 2; ++i) {
            for (int j = 0; j < 2; ++j) {
              const int off = tc_c_offset(wr + kTcFrag * i, wc + kTcFrag * j);
              EXPECT(aligned32(Cs + off), "C fragment pointer not 32-byte aligned");
              for (int r = 0; r < 16; ++r) {
                for (int q = 0; q < 16; ++q) {
                  const int idx = off + r * kTcLdC + q;
                  EXPECT(idx >= 0 && idx < c_elems, "Cs store out of range");
                  ++c_writes[idx];
                  Cs[idx] = acc[warp][i][j][r][q];
                }
              }
            }
          }
        }
        // __syncthreads(); the epilogue loop
        for (int tid = 0; tid < kTcThreads; ++tid) {
          for (int e = tid; e < kTcBM * kTcBN; e += kTcThreads) {
            const int ml = e / kTcBN, nl = e % kTcBN;
            const int64_t m = m0 + ml, n = n0 + nl;
            if (m >= M || n >= N) continue;
            EXPECT(c_writes[tc_c_offset(ml, nl)] == 1, "Cs element read not written exactly once");
            const int64_t flat = bz * M * N + m * N + n;
            C[flat] = Cs[tc_c_offset(ml, nl)];
            ++writes[flat];
          }
        }
      }
    }
  }

  Result r;
  double max_ref = 0, max_err = 0;
  for (int64_t bz = 0; bz < batch; ++bz) {
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        const int64_t flat = bz * M * N + m * N + n;
        EXPECT(writes[flat] == 1, "output (%lld, %lld, %lld) written %d times", (long long)bz, (long long)m, (long long)n,
               writes[flat]);
        double exact = 0, rounded = 0, abs_sum = 0;
        for (int64_t k = 0; k < K; ++k) {
          const double av = a(bz, m, k), bv = bl(bz, k, n);
          exact += av * bv;
          rounded += double(round_as(float(av), (T*)nullptr)) * double(round_as(float(bv), (T*)nullptr));
          abs_sum += std::fabs(av * bv);
        }
        const double c = C[flat];
        r.err_exact = std::max(r.err_exact, std::fabs(c - rounded) / std::max(abs_sum, 1e-30));
        r.err_bound = std::max(r.err_bound, std::fabs(c - exact) / std::max(abs_sum, 1e-30));
        max_err = std::max(max_err, std::fabs(c - exact));
        max_ref = std::max(max_ref, std::fabs(exact));
      }
    }
  }
  r.err_scale = max_err / std::max(max_ref, 1e-30);
  // Accumulating K products in float: at most about K * 2^-24 of sum |a||b| (far less in practice).
  EXPECT(r.err_exact <= 1e-6 + K * 6e-8, "result differs from the rounded product: %g of sum|a||b|", r.err_exact);
  return r;
}

template <class T>
void sweep(const char* name, double unit_roundoff) {
  struct Size {
    int64_t batch, M, N, K;
  };
  const Size sizes[] = {{1, 1, 1, 1},    {1, 16, 16, 8},   {1, 64, 64, 32},  {3, 17, 33, 45}, {2, 65, 63, 33},
                        {2, 100, 7, 300}, {1, 5, 130, 17}, {1, 130, 200, 1000}, {2, 129, 65, 97}, {1, 196, 80, 480}};
  double worst_scale = 0, worst_bound = 0;
  for (const Size& s : sizes) {
    const Result r = run<T>(s.batch, s.M, s.N, s.K, static_cast<uint32_t>(s.M * 131 + s.N * 7 + s.K));
    std::printf("%s batch %lld, M %lld, N %lld, K %lld: index check %.2e of sum|a||b|; rounding error %.2e of max|C|, "
                "%.2e of sum|a||b|\n",
                name, (long long)s.batch, (long long)s.M, (long long)s.N, (long long)s.K, r.err_exact, r.err_scale,
                r.err_bound);
    // The rounding error of each term is at most (2u + u^2) |a||b|.
    EXPECT(r.err_bound <= 2.01 * unit_roundoff + s.K * 6e-8, "%s: error %g of sum|a||b| above 2u", name, r.err_bound);
    worst_scale = std::max(worst_scale, r.err_scale);
    worst_bound = std::max(worst_bound, r.err_bound);
  }
  std::printf("%s: worst %.2e of max|C|, %.2e of sum|a||b| (u = %.2e)\n\n", name, worst_scale, worst_bound, unit_roundoff);
}

}  // namespace

int main() {
  sweep<float>("tf32", std::ldexp(1.0, -11));
  sweep<__half>("fp16", std::ldexp(1.0, -11));
  sweep<__nv_bfloat16>("bf16", std::ldexp(1.0, -8));
  if (failures) {
    std::printf("%d failures\n", failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
