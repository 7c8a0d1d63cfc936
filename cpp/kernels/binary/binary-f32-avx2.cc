// AVX2 float32 binary microkernel (8 lanes, masked-load tail).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/binary/binary.h"

namespace effnet {
namespace kernels {
namespace {

struct Add { static __m256 v(__m256 a, __m256 b) { return _mm256_add_ps(a, b); } };
struct Sub { static __m256 v(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); } };
struct Mul { static __m256 v(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); } };
struct Div { static __m256 v(__m256 a, __m256 b) { return _mm256_div_ps(a, b); } };
// max_ps returns its second operand when either is NaN; put a's NaN back so NaN always propagates.
struct Max {
  static __m256 v(__m256 a, __m256 b) {
    return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
  }
};
struct Min {
  static __m256 v(__m256 a, __m256 b) {
    return _mm256_blendv_ps(_mm256_min_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
  }
};

const int32_t kTailMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

inline __m256i tail_mask(size_t left) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - left)); }

template <class Op>
void run(int pattern, const float* a, const float* b, float* y, size_t n) {
  size_t i = 0;
  if (pattern == kVecScalar) {
    const __m256 s = _mm256_set1_ps(b[0]);
    for (; i + 16 <= n; i += 16) {
      _mm256_storeu_ps(y + i, Op::v(_mm256_loadu_ps(a + i), s));
      _mm256_storeu_ps(y + i + 8, Op::v(_mm256_loadu_ps(a + i + 8), s));
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Op::v(_mm256_loadu_ps(a + i), s));
    if (i < n) {
      const __m256i m = tail_mask(n - i);
      _mm256_maskstore_ps(y + i, m, Op::v(_mm256_maskload_ps(a + i, m), s));
    }
  } else if (pattern == kScalarVec) {
    const __m256 s = _mm256_set1_ps(a[0]);
    for (; i + 16 <= n; i += 16) {
      _mm256_storeu_ps(y + i, Op::v(s, _mm256_loadu_ps(b + i)));
      _mm256_storeu_ps(y + i + 8, Op::v(s, _mm256_loadu_ps(b + i + 8)));
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Op::v(s, _mm256_loadu_ps(b + i)));
    if (i < n) {
      const __m256i m = tail_mask(n - i);
      _mm256_maskstore_ps(y + i, m, Op::v(s, _mm256_maskload_ps(b + i, m)));
    }
  } else {
    for (; i + 16 <= n; i += 16) {
      _mm256_storeu_ps(y + i, Op::v(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
      _mm256_storeu_ps(y + i + 8, Op::v(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8)));
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Op::v(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    if (i < n) {
      const __m256i m = tail_mask(n - i);
      _mm256_maskstore_ps(y + i, m, Op::v(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m)));
    }
  }
}

}  // namespace

void f32_binary_avx2(int op, int pattern, const float* a, const float* b, float* y, size_t n) {
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
