// Narrow GEMMs (N = 24, 40: EfficientNet's first projections) with the columns laid out so that no FMA
// lane is wasted, against the library's tile for the same shape (gemm_select's). Both layouts are in the
// library since, as the 8x24p and 8x40r tiles (gemm_select_for_weights: the fused MBConv block's
// projection).
//
// The library's tiles cover N in zmm columns of 16: N = 24 runs as 16 + 8 (a ymm FMA costs a zmm's slot on
// a core with full 512-bit pipes, so 75% of the slots work), N = 40 as 48. Two layouts here:
//  - pairs: every 8 columns of two k-steps interleaved in one zmm, [b(k,j), b(k+1,j)] for j = 0..7, and A
//    as one 64-bit broadcast [a(k), a(k+1)] per row and k-pair, so one broadcast feeds N/8 FMAs; lanes 2j
//    and 2j+1 hold the even and odd k-steps' sums of column j, added at the end.
//  - remainder: 16-column vectors as usual, only the last 8 columns interleaved as above.
// Results differ from a plain k-order sum only by rounding (the even and odd k-steps are summed apart).
// K must be even here; bias only in the epilogue.
//
// Not part of the package build. After `npm install` (which builds build/libeffnet_cpu.a):
//   g++ -O2 -std=c++17 -march=native -Icpp/include bench/pipes/gemm-narrow.cc build/libeffnet_cpu.a -lpthread -o /tmp/gemm-narrow
//   taskset -c 0 /tmp/gemm-narrow
// Percentages are of this core's FMA floor at 113.5 G multiply-adds/s (bench:floor on the Zen 5 build
// machine: 227 GFLOP/s); times are the 10th percentile of 2000 runs, A and B hot.
//
// Measured 2026-11-30 ~00:50-00:56 UTC, Zen 5 build machine (AMD EPYC family 26 model 2), core 0, library at
// 2be2fc1 (two runs; the library's tile timed in the same run each time):
//   3600x144x24 (B1's 60x60 projection): pairs 6x24 124.8-126.7 us (86-88%), 8x24 128 (85%) | library 14x24 148-158 (69-74%)
//   3600x96x24:                          pairs 8x24 92-95 us (77-79%)                      | library 14x24 103-106 (69-71%)
//   900x240x40 (B1's 30x30 projection):  remainder 8x40 80.0-86.2 us (88-95%)              | library 8x48 93-98 (78-82%)
//   900x144x40:                          remainder 8x40 48.1-51.6 us (89-95%)              | library 8x48 55-58 (78-83%)
// (pairs for N = 40 spilled registers: 27%; remainder for N = 24 stays at ~70-76%: one broadcast per FMA.)
// Worth ~1% of B0 and B1 once the epilogues (swish, residual) and odd K are in. In the library (8x24p, bias
// and residual, 2026-11-30): 3600x144x24 152 -> 118 us, 3136x144x24 133 -> 102 us, 3600x96x24 100 -> 78 us;
// 8x40r: 900x240x40 93 -> 77 us, 900x144x40 55 -> 46 us, 784x144x40 47 -> 40 us.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "effnet/gemm.h"
#include "effnet/threadpool.h"

namespace {

using effnet::GemmEpilogueParams;
using effnet::GemmKernel;

// Pairs layout: per k-pair, G zmm of 8 columns x 2 k-steps.
template <int G>
std::vector<float> pack_pairs(const float* b, size_t K, size_t N) {
  std::vector<float> p(K / 2 * G * 16);
  float* o = p.data();
  for (size_t k = 0; k < K; k += 2, o += G * 16) {
    for (int g = 0; g < G; ++g) {
      for (int j = 0; j < 8; ++j) {
        o[g * 16 + 2 * j] = b[k * N + g * 8 + j];
        o[g * 16 + 2 * j + 1] = b[(k + 1) * N + g * 8 + j];
      }
    }
  }
  return p;
}

// Remainder layout: per k-pair, NM zmm of k, NM zmm of k + 1, one zmm of the last 8 columns x 2 k-steps.
template <int NM>
std::vector<float> pack_remainder(const float* b, size_t K, size_t N) {
  std::vector<float> p(K / 2 * (2 * NM * 16 + 16));
  float* o = p.data();
  for (size_t k = 0; k < K; k += 2, o += 2 * NM * 16 + 16) {
    for (int h = 0; h < 2; ++h) {
      for (int j = 0; j < NM * 16; ++j) o[h * NM * 16 + j] = b[(k + h) * N + j];
    }
    for (int j = 0; j < 8; ++j) {
      o[2 * NM * 16 + 2 * j] = b[k * N + NM * 16 + j];
      o[2 * NM * 16 + 2 * j + 1] = b[(k + 1) * N + NM * 16 + j];
    }
  }
  return p;
}

// Lanes 2j + 2j+1 of `acc` summed: 8 columns.
inline __m256 fold_pairs(__m512 acc) {
  const __m512 s = _mm512_add_ps(acc, _mm512_permute_ps(acc, 0xB1));
  return _mm512_castps512_ps256(_mm512_maskz_compress_ps(0x5555, s));
}

inline __m512 broadcast_pair(const float* p) {
  return _mm512_castpd_ps(_mm512_set1_pd(*reinterpret_cast<const double*>(p)));
}

template <int MR, int G>
__attribute__((noinline)) void tile_pairs(size_t K, const float* a, size_t lda, const float* bp, float* c, size_t ldc,
                                          const float* bias, int rows) {
  __m512 acc[MR][G];
  for (int r = 0; r < MR; ++r) {
    for (int g = 0; g < G; ++g) acc[r][g] = _mm512_setzero_ps();
  }
  for (size_t k = 0; k < K; k += 2, bp += G * 16) {
    __m512 bv[G];
    for (int g = 0; g < G; ++g) bv[g] = _mm512_loadu_ps(bp + g * 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 a01 = broadcast_pair(a + r * lda + k);
      for (int g = 0; g < G; ++g) acc[r][g] = _mm512_fmadd_ps(a01, bv[g], acc[r][g]);
    }
  }
  for (int r = 0; r < MR && r < rows; ++r) {
    for (int g = 0; g < G; ++g) {
      _mm256_storeu_ps(c + r * ldc + g * 8, _mm256_add_ps(fold_pairs(acc[r][g]), _mm256_loadu_ps(bias + g * 8)));
    }
  }
}

template <int MR, int NM>
__attribute__((noinline)) void tile_remainder(size_t K, const float* a, size_t lda, const float* bp, float* c,
                                              size_t ldc, const float* bias, int rows) {
  __m512 main[MR][NM], rest[MR];
  for (int r = 0; r < MR; ++r) {
    for (int m = 0; m < NM; ++m) main[r][m] = _mm512_setzero_ps();
    rest[r] = _mm512_setzero_ps();
  }
  for (size_t k = 0; k < K; k += 2, bp += 2 * NM * 16 + 16) {
    __m512 b0[NM], b1[NM];
    for (int m = 0; m < NM; ++m) {
      b0[m] = _mm512_loadu_ps(bp + m * 16);
      b1[m] = _mm512_loadu_ps(bp + NM * 16 + m * 16);
    }
    const __m512 br = _mm512_loadu_ps(bp + 2 * NM * 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const float* ar = a + r * lda + k;
      const __m512 a0 = _mm512_set1_ps(ar[0]), a1 = _mm512_set1_ps(ar[1]);
      for (int m = 0; m < NM; ++m) main[r][m] = _mm512_fmadd_ps(a0, b0[m], main[r][m]);
      for (int m = 0; m < NM; ++m) main[r][m] = _mm512_fmadd_ps(a1, b1[m], main[r][m]);
      rest[r] = _mm512_fmadd_ps(broadcast_pair(ar), br, rest[r]);
    }
  }
  for (int r = 0; r < MR && r < rows; ++r) {
    float* cr = c + r * ldc;
    for (int m = 0; m < NM; ++m) _mm512_storeu_ps(cr + m * 16, _mm512_add_ps(main[r][m], _mm512_loadu_ps(bias + m * 16)));
    _mm256_storeu_ps(cr + NM * 16, _mm256_add_ps(fold_pairs(rest[r]), _mm256_loadu_ps(bias + NM * 16)));
  }
}

double tenth(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t[t.size() / 10];
}

template <typename F>
double time_us(F&& f) {
  std::vector<double> t;
  for (int rep = 0; rep < 2000; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  return tenth(t);
}

// `tile(K, a, lda, packed, c, ldc, bias, rows)` over M in MR-row tiles against the library on M x K x N.
template <int MR, typename Tile>
void compare(const char* label, size_t M, size_t K, size_t N, const std::vector<float>& packed, const std::vector<float>& a,
             const std::vector<float>& b, const std::vector<float>& bias, Tile tile) {
  std::vector<float> c(M * N);
  auto all = [&] {
    for (size_t r = 0; r < M; r += MR) {
      tile(K, a.data() + r * K, K, packed.data(), c.data() + r * N, N, bias.data(), static_cast<int>(std::min<size_t>(MR, M - r)));
    }
  };
  all();
  double worst = 0;
  for (size_t i = 0; i < M; ++i) {
    for (size_t j = 0; j < N; ++j) {
      double s = bias[j];
      for (size_t k = 0; k < K; ++k) s += static_cast<double>(a[i * K + k]) * b[k * N + j];
      worst = std::max(worst, std::fabs(s - c[i * N + j]));
    }
  }
  const double ours = time_us(all);
  effnet::set_num_threads(1);
  const GemmKernel lib = effnet::gemm_select(N);
  std::vector<float> lib_packed(effnet::gemm_packed_floats(lib, K, N) + 64);
  effnet::gemm_pack_b(lib, K, N, b.data(), N, 1, lib_packed.data());
  GemmEpilogueParams ep;
  ep.bias = bias.data();
  const double theirs = time_us([&] {
    effnet::gemm_compute(lib, M, N, K, a.data(), K, lib_packed.data(), c.data(), N, ep, false, false);
  });
  const double floor_us = static_cast<double>(M) * K * N / 113.5e3;
  std::printf("%zux%zux%zu: %s %dx%zu %.1f us (%.0f%%), max |error| %.1e | library %s %.1f us (%.0f%%)\n", M, K, N, label, MR,
              N, ours, 100 * floor_us / ours, worst, lib.name, theirs, 100 * floor_us / theirs);
}

std::vector<float> random_floats(size_t n) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(std::rand() % 1000) / 1000.f - 0.5f;
  return v;
}

template <int MR, int G>
void pairs(size_t M, size_t K) {
  const size_t N = G * 8;
  const auto a = random_floats(M * K), b = random_floats(K * N), bias = random_floats(N);
  compare<MR>("pairs", M, K, N, pack_pairs<G>(b.data(), K, N), a, b, bias, tile_pairs<MR, G>);
}

template <int MR, int NM>
void remainder(size_t M, size_t K) {
  const size_t N = NM * 16 + 8;
  const auto a = random_floats(M * K), b = random_floats(K * N), bias = random_floats(N);
  compare<MR>("remainder", M, K, N, pack_remainder<NM>(b.data(), K, N), a, b, bias, tile_remainder<MR, NM>);
}

}  // namespace

int main() {
  pairs<6, 3>(3600, 144);
  pairs<8, 3>(3600, 144);
  pairs<8, 3>(3600, 96);
  remainder<12, 1>(3600, 144);
  remainder<8, 2>(900, 240);
  remainder<8, 2>(900, 144);
}
