// Portable float32 reductions.
#include <cstddef>

#include "kernels/reduce/reduce.h"

namespace effnet {
namespace kernels {

double f32_rsum_portable(const float* x, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  for (; i < n; ++i) s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

void f32_rsum_rows_portable(const float* x, size_t rows, size_t cols, size_t stride, double* acc) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * stride;
    for (size_t c = 0; c < cols; ++c) acc[c] += row[c];
  }
}

void f32_rsum_rows_blocked_portable(const float* x, size_t rows, size_t cols, size_t stride, double* acc) {
  // Float32 partial sums of up to 8 rows, as the vector levels do.
  for (size_t r0 = 0; r0 < rows; r0 += 8) {
    const size_t r1 = rows - r0 > 8 ? r0 + 8 : rows;
    for (size_t c = 0; c < cols; ++c) {
      float partial = 0;
      for (size_t r = r0; r < r1; ++r) partial += x[r * stride + c];
      acc[c] += partial;
    }
  }
}

float f32_rmax_portable(const float* x, size_t n) {
  float m = x[0];
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    nan |= x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  return nan ? __builtin_nanf("") : m;
}

float f32_rmin_portable(const float* x, size_t n) {
  float m = x[0];
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    nan |= x[i] != x[i];
    m = x[i] < m ? x[i] : m;
  }
  return nan ? __builtin_nanf("") : m;
}

void f32_rmax_rows_portable(const float* x, size_t rows, size_t cols, size_t stride, float* acc) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * stride;
    for (size_t c = 0; c < cols; ++c) {
      const float v = row[c];
      acc[c] = (v != v || v > acc[c]) ? v : acc[c];
    }
  }
}

void f32_rmin_rows_portable(const float* x, size_t rows, size_t cols, size_t stride, float* acc) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * stride;
    for (size_t c = 0; c < cols; ++c) {
      const float v = row[c];
      acc[c] = (v != v || v < acc[c]) ? v : acc[c];
    }
  }
}

}  // namespace kernels
}  // namespace effnet
