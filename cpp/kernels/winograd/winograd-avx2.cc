// Winograd transforms, AVX2 (8 channels a vector).
#include <immintrin.h>

#include <cstddef>

#include "winograd.h"

namespace {
struct Vec {
  static constexpr size_t kWidth = 8;
  using T = __m256;
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T zero() { return _mm256_setzero_ps(); }
  static T splat(float c) { return _mm256_set1_ps(c); }
  // x < 0 ? 0 : x, NaN kept (the compare is false for NaN).
  static T relu(T x) { return _mm256_blendv_ps(x, zero(), _mm256_cmp_ps(x, zero(), _CMP_LT_OQ)); }
  static T relu6(T x) {
    T r = relu(x);
    return _mm256_blendv_ps(r, splat(6.f), _mm256_cmp_ps(r, splat(6.f), _CMP_GT_OQ));
  }
};
}  // namespace

#define WINOGRAD_ISA avx2
#include "winograd.inc"
