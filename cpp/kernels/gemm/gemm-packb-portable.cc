// B-panel packing for every GEMM microkernel (layout described in gemm.h).
#include <cstddef>
#include <cstring>

#include "gemm.h"

namespace effnet {
namespace gemm {

void pack_b(size_t nr_tile, size_t k, size_t n, const float* b, size_t k_stride, size_t n_stride, float* packed) {
  const size_t panels = (n + nr_tile - 1) / nr_tile;
  if (n_stride == 1) {
    // Row by row: each row of b is read from end to end (b streamed from memory once, in order).
    for (size_t kk = 0; kk < k; ++kk) {
      const float* src = b + kk * k_stride;
      for (size_t p = 0; p < panels; ++p) {
        const size_t n0 = p * nr_tile;
        const size_t cols = n - n0 < nr_tile ? n - n0 : nr_tile;
        float* dst = packed + p * nr_tile * k + kk * nr_tile;
        std::memcpy(dst, src + n0, cols * sizeof(float));
        for (size_t j = cols; j < nr_tile; ++j) dst[j] = 0.f;
      }
    }
    return;
  }
  for (size_t p = 0; p < panels; ++p) {
    const size_t n0 = p * nr_tile;
    const size_t cols = n - n0 < nr_tile ? n - n0 : nr_tile;
    float* dst = packed + p * nr_tile * k;
    for (size_t kk = 0; kk < k; ++kk) {
      const float* src = b + kk * k_stride + n0 * n_stride;
      if (n_stride == 1) {
        std::memcpy(dst, src, cols * sizeof(float));
      } else {
        for (size_t j = 0; j < cols; ++j) dst[j] = src[j * n_stride];
      }
      for (size_t j = cols; j < nr_tile; ++j) dst[j] = 0.f;
      dst += nr_tile;
    }
  }
}

void pack_b_pairs(size_t nr_tile, size_t pair_columns, size_t k, size_t n, const float* b, size_t k_stride,
                  size_t n_stride, float* packed) {
  const size_t panels = (n + nr_tile - 1) / nr_tile;
  const size_t k_pairs = (k + 1) / 2;
  const size_t rows = nr_tile - pair_columns;  // columns stored as k-step rows
  auto at = [&](size_t kk, size_t col) { return col < n && kk < k ? b[kk * k_stride + col * n_stride] : 0.f; };
  for (size_t p = 0; p < panels; ++p) {
    float* dst = packed + p * nr_tile * 2 * k_pairs;
    const size_t c0 = p * nr_tile;
    for (size_t q = 0; q < k_pairs; ++q) {
      for (size_t h = 0; h < 2; ++h) {
        for (size_t j = 0; j < rows; ++j) *dst++ = at(2 * q + h, c0 + j);
      }
      for (size_t j = rows; j < nr_tile; ++j) {
        *dst++ = at(2 * q, c0 + j);
        *dst++ = at(2 * q + 1, c0 + j);
      }
    }
  }
}

}  // namespace gemm
}  // namespace effnet
