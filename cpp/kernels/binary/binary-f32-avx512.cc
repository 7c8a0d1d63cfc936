// AVX-512 float32 binary microkernel (16 lanes, masked tail).
#include <immintrin.h>

#include <cstddef>

#include "kernels/binary/binary.h"

namespace effnet {
namespace kernels {
namespace {

struct Add { static __m512 v(__m512 a, __m512 b) { return _mm512_add_ps(a, b); } };
struct Sub { static __m512 v(__m512 a, __m512 b) { return _mm512_sub_ps(a, b); } };
struct Mul { static __m512 v(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); } };
struct Div { static __m512 v(__m512 a, __m512 b) { return _mm512_div_ps(a, b); } };
// max_ps returns its second operand when either is NaN; put a's NaN back so NaN always propagates.
struct Max {
  static __m512 v(__m512 a, __m512 b) {
    return _mm512_mask_mov_ps(_mm512_max_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
  }
};
struct Min {
  static __m512 v(__m512 a, __m512 b) {
    return _mm512_mask_mov_ps(_mm512_min_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
  }
};

template <class Op>
void run(int pattern, const float* a, const float* b, float* y, size_t n) {
  size_t i = 0;
  if (pattern == kVecScalar) {
    const __m512 s = _mm512_set1_ps(b[0]);
    for (; i + 32 <= n; i += 32) {
      _mm512_storeu_ps(y + i, Op::v(_mm512_loadu_ps(a + i), s));
      _mm512_storeu_ps(y + i + 16, Op::v(_mm512_loadu_ps(a + i + 16), s));
    }
    for (; i < n; i += 16) {
      const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
      _mm512_mask_storeu_ps(y + i, m, Op::v(_mm512_maskz_loadu_ps(m, a + i), s));
    }
  } else if (pattern == kScalarVec) {
    const __m512 s = _mm512_set1_ps(a[0]);
    for (; i + 32 <= n; i += 32) {
      _mm512_storeu_ps(y + i, Op::v(s, _mm512_loadu_ps(b + i)));
      _mm512_storeu_ps(y + i + 16, Op::v(s, _mm512_loadu_ps(b + i + 16)));
    }
    for (; i < n; i += 16) {
      const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
      _mm512_mask_storeu_ps(y + i, m, Op::v(s, _mm512_maskz_loadu_ps(m, b + i)));
    }
  } else {
    for (; i + 32 <= n; i += 32) {
      _mm512_storeu_ps(y + i, Op::v(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
      _mm512_storeu_ps(y + i + 16, Op::v(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16)));
    }
    for (; i < n; i += 16) {
      const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
      _mm512_mask_storeu_ps(y + i, m, Op::v(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i)));
    }
  }
}

}  // namespace

void f32_binary_avx512(int op, int pattern, const float* a, const float* b, float* y, size_t n) {
  switch (op) {
    case kF32Add: return run<Add>(pattern, a, b, y, n);
    case kF32Sub: return run<Sub>(pattern, a, b, y, n);
    case kF32Mul: return run<Mul>(pattern, a, b, y, n);
    case kF32Div: return run<Div>(pattern, a, b, y, n);
    case kF32Max: return run<Max>(pattern, a, b, y, n);
    case kF32Min: return run<Min>(pattern, a, b, y, n);
  }
}

}  // namespace kernels
}  // namespace effnet
