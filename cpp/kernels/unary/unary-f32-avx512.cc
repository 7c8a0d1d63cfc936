// AVX-512 float32 unary microkernels (16 lanes, masked tail).
// exp: n = round(x / ln2), r = x - n ln2 (two-constant Cody-Waite with FMA), e^r by a degree-6
// polynomial (Cephes expf), scaled by 2^n with scalef (handles overflow to inf and underflow to
// subnormals and zero). tanh: odd polynomial for |x| < 0.625 (Cephes tanhf), 1 - 2/(e^2|x| + 1)
// above, sign restored.
#include <immintrin.h>

#include <cstddef>

#include "kernels/unary/unary.h"

namespace effnet {
namespace kernels {
namespace {

inline __m512 exp_ps(__m512 x) {
  // min/max return their second operand for NaN, so NaN flows through the clamps.
  x = _mm512_min_ps(_mm512_set1_ps(88.8f), x);
  x = _mm512_max_ps(_mm512_set1_ps(-104.f), x);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  return _mm512_scalef_ps(p, n);
}

inline __m512 abs_ps(__m512 x) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

inline __m512 tanh_ps(__m512 x) {
  const __m512 ax = abs_ps(x);
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
  const __m512 e = exp_ps(_mm512_add_ps(ax, ax));
  const __m512 big = _mm512_sub_ps(_mm512_set1_ps(1.f),
                                   _mm512_div_ps(_mm512_set1_ps(2.f), _mm512_add_ps(e, _mm512_set1_ps(1.f))));
  const __m512 sign = _mm512_castsi512_ps(
      _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u))));
  const __m512 big_signed = _mm512_castsi512_ps(
      _mm512_or_si512(_mm512_castps_si512(big), _mm512_castps_si512(sign)));
  return _mm512_mask_mov_ps(big_signed, _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ), small);
}

struct Relu {
  static __m512 v(__m512 x, __m512, __m512) { return _mm512_max_ps(_mm512_setzero_ps(), x); }
};
struct Relu6 {
  static __m512 v(__m512 x, __m512, __m512) {
    return _mm512_min_ps(_mm512_set1_ps(6.f), _mm512_max_ps(_mm512_setzero_ps(), x));
  }
};
struct LeakyRelu {
  static __m512 v(__m512 x, __m512 alpha, __m512) {
    return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), x, alpha);
  }
};
struct Clip {
  static __m512 v(__m512 x, __m512 lo, __m512 hi) {
    __m512 r = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), lo);
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), hi);
  }
};
struct Neg {
  static __m512 v(__m512 x, __m512, __m512) {
    return _mm512_castsi512_ps(
        _mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u))));
  }
};
struct Abs { static __m512 v(__m512 x, __m512, __m512) { return abs_ps(x); } };
struct Square { static __m512 v(__m512 x, __m512, __m512) { return _mm512_mul_ps(x, x); } };
struct Sqrt { static __m512 v(__m512 x, __m512, __m512) { return _mm512_sqrt_ps(x); } };
struct Sigmoid {
  static __m512 v(__m512 x, __m512, __m512) {
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_add_ps(_mm512_set1_ps(1.f), e));
  }
};
struct Tanh { static __m512 v(__m512 x, __m512, __m512) { return tanh_ps(x); } };
struct Exp { static __m512 v(__m512 x, __m512, __m512) { return exp_ps(x); } };
struct Swish {
  static __m512 v(__m512 x, __m512, __m512) {
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.f), e));
  }
};

template <class Op>
void run(const float* x, float* y, size_t n, float alpha, float beta) {
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm512_storeu_ps(y + i, Op::v(_mm512_loadu_ps(x + i), va, vb));
    _mm512_storeu_ps(y + i + 16, Op::v(_mm512_loadu_ps(x + i + 16), va, vb));
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, Op::v(_mm512_maskz_loadu_ps(m, x + i), va, vb));
  }
}

}  // namespace

void f32_unary_avx512(int op, const float* x, float* y, size_t n, float alpha, float beta) {
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

float f32_raddstoreexpminusmax_avx512(const float* x, float max, float* y, size_t n) {
  const __m512 vmax = _mm512_set1_ps(max);
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 e0 = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vmax));
    const __m512 e1 = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vmax));
    _mm512_storeu_ps(y + i, e0);
    _mm512_storeu_ps(y + i + 16, e1);
    acc0 = _mm512_add_ps(acc0, e0);
    acc1 = _mm512_add_ps(acc1, e1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmax));
    _mm512_mask_storeu_ps(y + i, m, e);
    acc0 = _mm512_mask_add_ps(acc0, m, acc0, e);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

}  // namespace kernels
}  // namespace effnet
