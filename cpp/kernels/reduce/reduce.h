// Float32 reduction microkernels. Sums accumulate in double (tfjs sums in float64 before
// rounding the result); max/min propagate NaN as tfjs's Max/Min kernels do.
#pragma once
#include <cstddef>

namespace effnet {
namespace kernels {

// Sum of x[0..n).
double f32_rsum_avx512(const float* x, size_t n);
double f32_rsum_avx2(const float* x, size_t n);
double f32_rsum_portable(const float* x, size_t n);

// acc[c] += sum over r < rows of x[r * stride + c], for c < cols (a reduction over the middle
// axis, e.g. global average pooling over H*W of NHWC with C vectorised).
void f32_rsum_rows_avx512(const float* x, size_t rows, size_t cols, size_t stride, double* acc);
void f32_rsum_rows_avx2(const float* x, size_t rows, size_t cols, size_t stride, double* acc);
void f32_rsum_rows_portable(const float* x, size_t rows, size_t cols, size_t stride, double* acc);

// Max / min of x[0..n), n >= 1; NaN when any element is NaN.
float f32_rmax_avx512(const float* x, size_t n);
float f32_rmax_avx2(const float* x, size_t n);
float f32_rmax_portable(const float* x, size_t n);
float f32_rmin_avx512(const float* x, size_t n);
float f32_rmin_avx2(const float* x, size_t n);
float f32_rmin_portable(const float* x, size_t n);

// acc[c] = max (min) of acc[c] and x[r * stride + c] over r < rows, for c < cols; a NaN in x or acc
// makes acc[c] NaN (max/min over a middle axis, e.g. H*W of NHWC).
void f32_rmax_rows_avx512(const float* x, size_t rows, size_t cols, size_t stride, float* acc);
void f32_rmax_rows_avx2(const float* x, size_t rows, size_t cols, size_t stride, float* acc);
void f32_rmax_rows_portable(const float* x, size_t rows, size_t cols, size_t stride, float* acc);
void f32_rmin_rows_avx512(const float* x, size_t rows, size_t cols, size_t stride, float* acc);
void f32_rmin_rows_avx2(const float* x, size_t rows, size_t cols, size_t stride, float* acc);
void f32_rmin_rows_portable(const float* x, size_t rows, size_t cols, size_t stride, float* acc);

}  // namespace kernels
}  // namespace effnet
