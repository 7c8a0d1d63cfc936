// Winograd transforms, AVX-512 (16 channels a vector).
#include <immintrin.h>

#include <cstddef>

#include "winograd.h"

namespace {
struct Vec {
  static constexpr size_t kWidth = 16;
  using T = __m512;
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T zero() { return _mm512_setzero_ps(); }
  static T splat(float c) { return _mm512_set1_ps(c); }
  // x < 0 ? 0 : x, NaN kept (the compare is false for NaN).
  static T relu(T x) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero(), _CMP_LT_OQ), x, zero()); }
  static T relu6(T x) {
    T r = relu(x);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, splat(6.f), _CMP_GT_OQ), r, splat(6.f));
  }
};
}  // namespace

#define WINOGRAD_ISA avx512
#include "winograd.inc"
