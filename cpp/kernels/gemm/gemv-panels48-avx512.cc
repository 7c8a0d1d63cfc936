// AVX-512 GEMV over weights in panels of 48 columns, accumulated a block of rows at a time (the fused head's
// classifier, cpp/ops/head.cc).
#include <immintrin.h>

#include <cstddef>

#include "gemm.h"

namespace effnet {
namespace gemm {
namespace {

// Q panels (`stride` floats apart) of k rows x 48 columns added to acc[0, 48 Q): 3 Q chains of
// multiply-adds in flight.
template <int Q>
inline void accumulate_panels(const float* x, size_t k, const float* w, size_t stride, float* acc) {
  __m512 sum[3 * Q];
#pragma GCC unroll 12
  for (int v = 0; v < 3 * Q; ++v) sum[v] = _mm512_loadu_ps(acc + v * 16);
  for (size_t r = 0; r < k; ++r, w += 48) {
    const __m512 xr = _mm512_set1_ps(x[r]);
#pragma GCC unroll 4
    for (int q = 0; q < Q; ++q) {
#pragma GCC unroll 3
      for (int v = 0; v < 3; ++v) {
        sum[q * 3 + v] = _mm512_fmadd_ps(xr, _mm512_loadu_ps(w + q * stride + v * 16), sum[q * 3 + v]);
      }
    }
  }
#pragma GCC unroll 12
  for (int v = 0; v < 3 * Q; ++v) _mm512_storeu_ps(acc + v * 16, sum[v]);
}

}  // namespace

void gemv_panels48_accumulate_avx512(const float* x, size_t k, const float* w, size_t panels, float* acc) {
  const size_t stride = k * 48;  // floats from a panel to the next
  size_t p = 0;
  for (; p + 4 <= panels; p += 4) accumulate_panels<4>(x, k, w + p * stride, stride, acc + p * 48);
  for (; p < panels; ++p) accumulate_panels<1>(x, k, w + p * stride, stride, acc + p * 48);
}

}  // namespace gemm
}  // namespace effnet
