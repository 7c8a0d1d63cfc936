// Float32 reduction microkernels. Sums accumulate in double (tfjs sums in float64 before
// rounding the result); max/min propagate NaN as tfjs's Max/Min kernels do.
//
// For each isa in {avx512, avx2, portable}:
//   f32_rsum_<isa>(x, n): the sum of x[0..n).
//   f32_rsum_rows_<isa>(x, rows, cols, stride, acc): acc[c] += sum over r < rows of x[r * stride + c],
//     for c < cols (a reduction over the middle axis, e.g. global average pooling over H*W of NHWC
//     with C vectorised).
//   f32_rsum_rows_blocked_<isa>: the same, except that up to 8 rows are summed in float32 before each
//     float64 add (faster; for the fused MBConv block's means, not for the Sum and Mean ops).
//   f32_rmax_<isa>, f32_rmin_<isa>(x, n): max / min of x[0..n), n >= 1; NaN when any element is NaN.
//   f32_rmax_rows_<isa>, f32_rmin_rows_<isa>(x, rows, cols, stride, acc): acc[c] = max (min) of acc[c]
//     and x[r * stride + c] over r < rows, for c < cols; a NaN in x or acc makes acc[c] NaN (max/min
//     over a middle axis, e.g. H*W of NHWC).
#pragma once
#include <cstddef>

namespace effnet {
namespace kernels {

#define EFFNET_REDUCE_DECLARE(isa)                                                                   \
  double f32_rsum_##isa(const float* x, size_t n);                                                  \
  void f32_rsum_rows_##isa(const float* x, size_t rows, size_t cols, size_t stride, double* acc);   \
  void f32_rsum_rows_blocked_##isa(const float* x, size_t rows, size_t cols, size_t stride, double* acc); \
  float f32_rmax_##isa(const float* x, size_t n);                                                   \
  float f32_rmin_##isa(const float* x, size_t n);                                                   \
  void f32_rmax_rows_##isa(const float* x, size_t rows, size_t cols, size_t stride, float* acc);    \
  void f32_rmin_rows_##isa(const float* x, size_t rows, size_t cols, size_t stride, float* acc);

EFFNET_REDUCE_DECLARE(avx512)
EFFNET_REDUCE_DECLARE(avx2)
EFFNET_REDUCE_DECLARE(portable)
#undef EFFNET_REDUCE_DECLARE

}  // namespace kernels
}  // namespace effnet
