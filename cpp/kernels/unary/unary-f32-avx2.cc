// AVX2 float32 unary microkernels (8 lanes, masked-load tail). Same approximations as the AVX-512
// variant; 2^n is applied as two exponent-field multiplies so overflow gives inf and underflow
// gives subnormals or zero.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/unary/unary.h"

namespace effnet {
namespace kernels {
namespace {

inline __m256 exp_ps(__m256 x) {
  // min/max return their second operand for NaN, so NaN flows through the clamps.
  x = _mm256_min_ps(_mm256_set1_ps(88.8f), x);
  x = _mm256_max_ps(_mm256_set1_ps(-104.f), x);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.f)));
  // n in [-150, 128]: split into two halves so each 2^k is a normal float.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

inline __m256 abs_ps(__m256 x) {
  return _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7fffffff)));
}

inline __m256 tanh_ps(__m256 x) {
  const __m256 ax = abs_ps(x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 e = exp_ps(_mm256_add_ps(ax, ax));
  const __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.f),
                                   _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(e, _mm256_set1_ps(1.f))));
  const __m256 sign = _mm256_castsi256_ps(
      _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(static_cast<int>(0x80000000u))));
  const __m256 big_signed = _mm256_or_ps(big, sign);
  return _mm256_blendv_ps(big_signed, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

struct Relu {
  static __m256 v(__m256 x, __m256, __m256) { return _mm256_max_ps(_mm256_setzero_ps(), x); }
};
struct Relu6 {
  static __m256 v(__m256 x, __m256, __m256) {
    return _mm256_min_ps(_mm256_set1_ps(6.f), _mm256_max_ps(_mm256_setzero_ps(), x));
  }
};
struct LeakyRelu {
  static __m256 v(__m256 x, __m256 alpha, __m256) {
    return _mm256_blendv_ps(x, _mm256_mul_ps(x, alpha), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  }
};
struct Clip {
  static __m256 v(__m256 x, __m256 lo, __m256 hi) {
    const __m256 r = _mm256_blendv_ps(x, lo, _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    return _mm256_blendv_ps(r, hi, _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
  }
};
struct Neg {
  static __m256 v(__m256 x, __m256, __m256) {
    return _mm256_xor_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(0x80000000u))));
  }
};
struct Abs { static __m256 v(__m256 x, __m256, __m256) { return abs_ps(x); } };
struct Square { static __m256 v(__m256 x, __m256, __m256) { return _mm256_mul_ps(x, x); } };
struct Sqrt { static __m256 v(__m256 x, __m256, __m256) { return _mm256_sqrt_ps(x); } };
struct Sigmoid {
  static __m256 v(__m256 x, __m256, __m256) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), e));
  }
};
struct Tanh { static __m256 v(__m256 x, __m256, __m256) { return tanh_ps(x); } };
struct Exp { static __m256 v(__m256 x, __m256, __m256) { return exp_ps(x); } };
struct Swish {
  static __m256 v(__m256 x, __m256, __m256) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.f), e));
  }
};

const int32_t kTailMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

inline __m256i tail_mask(size_t left) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - left)); }

template <class Op>
void run(const float* x, float* y, size_t n, float alpha, float beta) {
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_ps(y + i, Op::v(_mm256_loadu_ps(x + i), va, vb));
    _mm256_storeu_ps(y + i + 8, Op::v(_mm256_loadu_ps(x + i + 8), va, vb));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Op::v(_mm256_loadu_ps(x + i), va, vb));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, Op::v(_mm256_maskload_ps(x + i, m), va, vb));
  }
}

}  // namespace

void f32_unary_avx2(int op, const float* x, float* y, size_t n, float alpha, float beta) {
  switch (op) {
    case kF32Relu: return run<Relu>(x, y, n, alpha, beta);
    case kF32Relu6: return run<Relu6>(x, y, n, alpha, beta);
    case kF32LeakyRelu: return run<LeakyRelu>(x, y, n, alpha, beta);
    case kF32Clip: return run<Clip>(x, y, n, alpha, beta);
    case kF32Neg: return run<Neg>(x, y, n, alpha, beta);
    case kF32Abs: return run<Abs>(x, y, n, alpha, beta);
    case kF32Square: return run<Square>(x, y, n, alpha, beta);
    case kF32Sqrt: return run<Sqrt>(x, y, n, alpha, beta);
    case kF32Sigmoid: return run<Sigmoid>(x, y, n, alpha, beta);
    case kF32Tanh: return run<Tanh>(x, y, n, alpha, beta);
    case kF32Exp: return run<Exp>(x, y, n, alpha, beta);
    case kF32Swish: return run<Swish>(x, y, n, alpha, beta);
  }
}

float f32_raddstoreexpminusmax_avx2(const float* x, float max, float* y, size_t n) {
  const __m256 vmax = _mm256_set1_ps(max);
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
    const __m256 e1 = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vmax));
    _mm256_storeu_ps(y + i, e0);
    _mm256_storeu_ps(y + i + 8, e1);
    acc0 = _mm256_add_ps(acc0, e0);
    acc1 = _mm256_add_ps(acc1, e1);
  }
  acc0 = _mm256_add_ps(acc0, acc1);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc0);
  float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < n; ++i) {
    const __m256 e = exp_ps(_mm256_set1_ps(x[i] - max));
    const float v = _mm256_cvtss_f32(e);
    y[i] = v;
    sum += v;
  }
  return sum;
}

}  // namespace kernels
}  // namespace effnet
