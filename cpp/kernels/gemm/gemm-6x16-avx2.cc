// AVX2+FMA GEMM microkernel, 6 rows x 16 columns: 12 ymm accumulators + 2 B vectors + 1 broadcast
// of the 16 ymm registers.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "gemm.h"
#include "kernels/vec-avx2.inc"

namespace {

constexpr int kMR = 6;
constexpr int kNV = 2;

static inline __m256i lane_mask(long rem) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const long clamped = rem < 0 ? 0 : (rem > 8 ? 8 : rem);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(clamped)), idx);
}

// exp(x) in f32: the Cephes polynomial of Vec (vec-common.inc) on r = x - n*ln2, times 2^n built in
// the exponent field. x is clamped to [-87.3, 88] (2^n stays a normal number); NaN passes through.
// About 1 ulp.
static inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.f), x);  // min/max return x when x is NaN
  x = _mm256_max_ps(_mm256_set1_ps(-87.3f), x);
  __m256 n;
  const __m256 r = Vec::exp_reduce(x, &n);
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(Vec::exp_poly(r), r), r, r), _mm256_set1_ps(1.f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

}  // namespace

namespace effnet {
namespace gemm {

void gemm_6x16_avx2(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                    size_t c_stride, bool load_c, const Epilogue* ep) {
  __m256i mask[kNV];
  for (int v = 0; v < kNV; ++v) mask[v] = lane_mask(static_cast<long>(nr) - v * 8);
  const float* ap[kMR];
  for (int i = 0; i < kMR; ++i) ap[i] = a + (static_cast<size_t>(i) < mr ? i : mr - 1) * a_stride;

  __m256 acc[kMR][kNV];
  if (load_c) {
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const float* ci = c + (static_cast<size_t>(i) < mr ? i : mr - 1) * c_stride;
#pragma GCC unroll 2
      for (int v = 0; v < kNV; ++v) acc[i][v] = _mm256_maskload_ps(ci + v * 8, mask[v]);
    }
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 2
      for (int v = 0; v < kNV; ++v) acc[i][v] = _mm256_setzero_ps();
    }
  }

#pragma GCC unroll 2
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    b += kNV * 8;
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const __m256 av = _mm256_broadcast_ss(ap[i] + k);
      acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
    }
  }

  if (ep != nullptr) {
    if (ep->bias != nullptr) {
#pragma GCC unroll 2
      for (int v = 0; v < kNV; ++v) {
        const __m256 bias = _mm256_maskload_ps(ep->bias + v * 8, mask[v]);
#pragma GCC unroll 8
        for (int i = 0; i < kMR; ++i) acc[i][v] = _mm256_add_ps(acc[i][v], bias);
      }
    }
    if (ep->residual != nullptr) {
#pragma GCC unroll 8
      for (int i = 0; i < kMR; ++i) {
        const float* ri = ep->residual + (static_cast<size_t>(i) < mr ? i : mr - 1) * ep->residual_stride;
#pragma GCC unroll 2
        for (int v = 0; v < kNV; ++v) acc[i][v] = _mm256_add_ps(acc[i][v], _mm256_maskload_ps(ri + v * 8, mask[v]));
      }
    }
    const __m256 zero = _mm256_setzero_ps();
    switch (ep->act) {
      case 1:  // relu (max returns its second operand on NaN, so NaN passes)
#pragma GCC unroll 8
        for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 2
          for (int v = 0; v < kNV; ++v) acc[i][v] = _mm256_max_ps(zero, acc[i][v]);
        }
        break;
      case 2: {  // relu6
        const __m256 six = _mm256_set1_ps(6.f);
#pragma GCC unroll 8
        for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 2
          for (int v = 0; v < kNV; ++v) acc[i][v] = _mm256_min_ps(six, _mm256_max_ps(zero, acc[i][v]));
        }
        break;
      }
      case 4: {  // leakyrelu
        const __m256 alpha = _mm256_set1_ps(ep->alpha);
#pragma GCC unroll 8
        for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 2
          for (int v = 0; v < kNV; ++v) {
            const __m256 neg = _mm256_cmp_ps(acc[i][v], zero, _CMP_LT_OQ);
            acc[i][v] = _mm256_blendv_ps(acc[i][v], _mm256_mul_ps(acc[i][v], alpha), neg);
          }
        }
        break;
      }
      case 5: {  // prelu, one slope per column
#pragma GCC unroll 2
        for (int v = 0; v < kNV; ++v) {
          const __m256 slope = _mm256_maskload_ps(ep->prelu + v * 8, mask[v]);
#pragma GCC unroll 8
          for (int i = 0; i < kMR; ++i) {
            const __m256 neg = _mm256_cmp_ps(acc[i][v], zero, _CMP_LT_OQ);
            acc[i][v] = _mm256_blendv_ps(acc[i][v], _mm256_mul_ps(acc[i][v], slope), neg);
          }
        }
        break;
      }
      case 3: {  // elu: x < 0 ? exp(x) - 1 : x
        const __m256 one = _mm256_set1_ps(1.f);
#pragma GCC unroll 8
        for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 2
          for (int v = 0; v < kNV; ++v) {
            const __m256 neg = _mm256_cmp_ps(acc[i][v], zero, _CMP_LT_OQ);
            acc[i][v] = _mm256_blendv_ps(acc[i][v], _mm256_sub_ps(exp_avx2(acc[i][v]), one), neg);
          }
        }
        break;
      }
      case 6: {  // sigmoid: 1 / (1 + exp(-x))
        // 1 / d by rcp and one Newton step (~1-2 ulp) instead of a much slower division.
        const __m256 one = _mm256_set1_ps(1.f);
        const __m256 two = _mm256_set1_ps(2.f);
#pragma GCC unroll 8
        for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 2
          for (int v = 0; v < kNV; ++v) {
            const __m256 den = _mm256_add_ps(one, exp_avx2(_mm256_sub_ps(zero, acc[i][v])));
            const __m256 r = _mm256_rcp_ps(den);
            acc[i][v] = _mm256_mul_ps(r, _mm256_fnmadd_ps(den, r, two));
          }
        }
        break;
      }
      case 7:  // swish: x / (1 + exp(-x))
#pragma GCC unroll 8
        for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 2
          for (int v = 0; v < kNV; ++v) acc[i][v] = swish_avx2(acc[i][v]);
        }
        break;
      default:
        break;
    }
  }

  // vmaskmovps stores are slow on some CPUs (AMD): plain stores for full-width tiles.
  if (nr >= static_cast<size_t>(kNV * 8)) {
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      if (static_cast<size_t>(i) < mr) {
        float* ci = c + i * c_stride;
        _mm256_storeu_ps(ci, acc[i][0]);
        _mm256_storeu_ps(ci + 8, acc[i][1]);
      }
    }
    return;
  }
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
    if (static_cast<size_t>(i) < mr) {
      float* ci = c + i * c_stride;
#pragma GCC unroll 2
      for (int v = 0; v < kNV; ++v) _mm256_maskstore_ps(ci + v * 8, mask[v], acc[i][v]);
    }
  }
}

}  // namespace gemm
}  // namespace effnet
