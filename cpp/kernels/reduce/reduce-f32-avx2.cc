// AVX2 float32 reductions: double accumulators for sums, NaN-tracking max/min.
#include <immintrin.h>

#include <cstddef>

#include "kernels/reduce/reduce.h"

namespace effnet {
namespace kernels {

double f32_rsum_avx2(const float* x, size_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)));
    a2 = _mm256_add_pd(a2, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8)));
    a3 = _mm256_add_pd(a3, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12)));
  }
  for (; i + 4 <= n; i += 4) a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
  const __m256d s = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, s);
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) sum += x[i];
  return sum;
}

void f32_rsum_rows_avx2(const float* x, size_t rows, size_t cols, size_t stride, double* acc) {
  size_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    __m256d s0 = _mm256_loadu_pd(acc + c);
    __m256d s1 = _mm256_loadu_pd(acc + c + 4);
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) {
      s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm_loadu_ps(p)));
      s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm_loadu_ps(p + 4)));
    }
    _mm256_storeu_pd(acc + c, s0);
    _mm256_storeu_pd(acc + c + 4, s1);
  }
  for (; c < cols; ++c) {
    double s = acc[c];
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) s += *p;
    acc[c] = s;
  }
}

float f32_rmax_avx2(const float* x, size_t n) {
  __m256 m = _mm256_set1_ps(x[0]);
  __m256 nan = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    m = _mm256_max_ps(m, v);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  bool any_nan = _mm256_movemask_ps(nan) != 0;
  float r = lanes[0];
  for (int k = 1; k < 8; ++k) r = lanes[k] > r ? lanes[k] : r;
  for (; i < n; ++i) {
    any_nan |= x[i] != x[i];
    r = x[i] > r ? x[i] : r;
  }
  return any_nan ? __builtin_nanf("") : r;
}

float f32_rmin_avx2(const float* x, size_t n) {
  __m256 m = _mm256_set1_ps(x[0]);
  __m256 nan = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    m = _mm256_min_ps(m, v);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  bool any_nan = _mm256_movemask_ps(nan) != 0;
  float r = lanes[0];
  for (int k = 1; k < 8; ++k) r = lanes[k] < r ? lanes[k] : r;
  for (; i < n; ++i) {
    any_nan |= x[i] != x[i];
    r = x[i] < r ? x[i] : r;
  }
  return any_nan ? __builtin_nanf("") : r;
}

// max_ps/min_ps return the second operand (acc) when either is NaN, so a NaN acc stays NaN; a NaN
// in x is blended in explicitly.
void f32_rmax_rows_avx2(const float* x, size_t rows, size_t cols, size_t stride, float* acc) {
  size_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    __m256 a = _mm256_loadu_ps(acc + c);
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) {
      const __m256 v = _mm256_loadu_ps(p);
      a = _mm256_blendv_ps(_mm256_max_ps(v, a), v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    _mm256_storeu_ps(acc + c, a);
  }
  for (; c < cols; ++c) {
    float a = acc[c];
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) a = (*p != *p || *p > a) ? *p : a;
    acc[c] = a;
  }
}

void f32_rmin_rows_avx2(const float* x, size_t rows, size_t cols, size_t stride, float* acc) {
  size_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    __m256 a = _mm256_loadu_ps(acc + c);
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) {
      const __m256 v = _mm256_loadu_ps(p);
      a = _mm256_blendv_ps(_mm256_min_ps(v, a), v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    _mm256_storeu_ps(acc + c, a);
  }
  for (; c < cols; ++c) {
    float a = acc[c];
    const float* p = x + c;
    for (size_t r = 0; r < rows; ++r, p += stride) a = (*p != *p || *p < a) ? *p : a;
    acc[c] = a;
  }
}

}  // namespace kernels
}  // namespace effnet
