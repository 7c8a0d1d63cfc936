// AVX-512 GEMV over weights in panels of 48 columns, accumulated a block of rows at a time (the fused head's
// classifier, cpp/ops/head.cc).
#include <immintrin.h>

#include <cstddef>

#include "gemm.h"

namespace effnet {
namespace gemm {

void gemv_panels48_accumulate_avx512(const float* x, size_t k, const float* w, size_t panels, float* acc) {
  const size_t stride = k * 48;  // floats from a panel to the next
  size_t p = 0;
  // Four panels at a time: twelve chains of multiply-adds in flight.
  for (; p + 4 <= panels; p += 4) {
    __m512 sum[12];
    for (int v = 0; v < 12; ++v) sum[v] = _mm512_loadu_ps(acc + p * 48 + v * 16);
    const float* row = w + p * stride;
    for (size_t r = 0; r < k; ++r, row += 48) {
      const __m512 xr = _mm512_set1_ps(x[r]);
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) {
#pragma GCC unroll 3
        for (int v = 0; v < 3; ++v) {
          sum[q * 3 + v] = _mm512_fmadd_ps(xr, _mm512_loadu_ps(row + q * stride + v * 16), sum[q * 3 + v]);
        }
      }
    }
    for (int v = 0; v < 12; ++v) _mm512_storeu_ps(acc + p * 48 + v * 16, sum[v]);
  }
  for (; p < panels; ++p) {
    __m512 sum[3];
    for (int v = 0; v < 3; ++v) sum[v] = _mm512_loadu_ps(acc + p * 48 + v * 16);
    const float* row = w + p * stride;
    for (size_t r = 0; r < k; ++r, row += 48) {
      const __m512 xr = _mm512_set1_ps(x[r]);
#pragma GCC unroll 3
      for (int v = 0; v < 3; ++v) sum[v] = _mm512_fmadd_ps(xr, _mm512_loadu_ps(row + v * 16), sum[v]);
    }
    for (int v = 0; v < 3; ++v) _mm512_storeu_ps(acc + p * 48 + v * 16, sum[v]);
  }
}

}  // namespace gemm
}  // namespace effnet
