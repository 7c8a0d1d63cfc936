// AVX-512 float32 reductions: double accumulators for sums, NaN-tracking max/min.
#include <immintrin.h>

#include <cstddef>

#include "kernels/reduce/reduce.h"

namespace effnet {
namespace kernels {
namespace {

inline __mmask16 tail(size_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
}

}  // namespace

double f32_rsum_avx512(const float* x, size_t n) {
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd(), a2 = _mm512_setzero_pd(), a3 = _mm512_setzero_pd();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 v0 = _mm512_loadu_ps(x + i);
    const __m512 v1 = _mm512_loadu_ps(x + i + 16);
    a0 = _mm512_add_pd(a0, _mm512_cvtps_pd(_mm512_castps512_ps256(v0)));
    a1 = _mm512_add_pd(a1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v0), 1))));
    a2 = _mm512_add_pd(a2, _mm512_cvtps_pd(_mm512_castps512_ps256(v1)));
    a3 = _mm512_add_pd(a3, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v1), 1))));
  }
  for (; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(tail(n - i), x + i);
    a0 = _mm512_add_pd(a0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    a1 = _mm512_add_pd(a1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
}

void f32_rsum_rows_avx512(const float* x, size_t rows, size_t cols, size_t stride, double* acc) {
  size_t c = 0;
  for (; c < cols; c += 16) {
    const __mmask16 m = tail(cols - c);
    const __mmask8 lo = static_cast<__mmask8>(m & 0xff);
    const __mmask8 hi = static_cast<__mmask8>(m >> 8);
    __m512d s0 = _mm512_maskz_loadu_pd(lo, acc + c);
    __m512d s1 = _mm512_maskz_loadu_pd(hi, acc + c + 8);
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) {
      const __m512 v = _mm512_maskz_loadu_ps(m, p);
      s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
      s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
    }
    _mm512_mask_storeu_pd(acc + c, lo, s0);
    _mm512_mask_storeu_pd(acc + c + 8, hi, s1);
  }
}

float f32_rmax_avx512(const float* x, size_t n) {
  __m512 m = _mm512_set1_ps(x[0]);
  __mmask16 nan = 0;
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail(n - i);
    const __m512 v = _mm512_mask_loadu_ps(m, k, x + i);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    m = _mm512_max_ps(m, v);
  }
  if (nan) return __builtin_nanf("");
  return _mm512_reduce_max_ps(m);
}

float f32_rmin_avx512(const float* x, size_t n) {
  __m512 m = _mm512_set1_ps(x[0]);
  __mmask16 nan = 0;
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail(n - i);
    const __m512 v = _mm512_mask_loadu_ps(m, k, x + i);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    m = _mm512_min_ps(m, v);
  }
  if (nan) return __builtin_nanf("");
  return _mm512_reduce_min_ps(m);
}

// max_ps/min_ps return the second operand (acc) when either is NaN, so a NaN acc stays NaN; a NaN
// in x is blended in explicitly.
void f32_rmax_rows_avx512(const float* x, size_t rows, size_t cols, size_t stride, float* acc) {
  for (size_t c = 0; c < cols; c += 16) {
    const __mmask16 m = tail(cols - c);
    __m512 a = _mm512_maskz_loadu_ps(m, acc + c);
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) {
      const __m512 v = _mm512_maskz_loadu_ps(m, p);
      a = _mm512_mask_mov_ps(_mm512_max_ps(v, a), _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v);
    }
    _mm512_mask_storeu_ps(acc + c, m, a);
  }
}

void f32_rmin_rows_avx512(const float* x, size_t rows, size_t cols, size_t stride, float* acc) {
  for (size_t c = 0; c < cols; c += 16) {
    const __mmask16 m = tail(cols - c);
    __m512 a = _mm512_maskz_loadu_ps(m, acc + c);
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) {
      const __m512 v = _mm512_maskz_loadu_ps(m, p);
      a = _mm512_mask_mov_ps(_mm512_min_ps(v, a), _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v);
    }
    _mm512_mask_storeu_ps(acc + c, m, a);
  }
}

}  // namespace kernels
}  // namespace effnet
