// Winograd F(m x m, 3x3) transforms, vectorised over channels (NHWC). Tile size t = m + 2.
// Variants: f2 (F(2x2,3x3), t = 4) and f4 (F(4x4,3x3), t = 6).
//
// input_<v>_<isa>: d[i*t + j] points at the `c` channels of input pixel (i, j) of the tile (a zero
//   row for pixels outside the image); writes V = B^T d B, element e = i*t + j at v + e * v_stride.
// output_<v>_<isa>: m + e * m_stride holds element e of the t x t product (n channels); writes
//   Y = A^T M A, pixel (i, j) to y[i*m + j] (null: outside the output, skipped), then the epilogue
//   v = Y (+ previous y when accumulate) (+ bias[c]) (+ residual[i*m + j][c]); act 0 linear, 1 relu,
//   2 relu6 (NaN passes through as in tfjs). bias and residual pointers may be null. Returns whether a
//   pixel it wrote holds NaN (the caller recomputes such convs directly: inf - inf in the transforms).
#pragma once
#include <cstddef>

namespace effnet {
namespace winograd {

#define EFFNET_WINOGRAD_DECLARE(isa)                                                                          \
  void input_f2_##isa(const float* const* d, size_t c, float* v, size_t v_stride);                           \
  void input_f4_##isa(const float* const* d, size_t c, float* v, size_t v_stride);                           \
  bool output_f2_##isa(const float* m, size_t m_stride, size_t n, float* const* y, const float* bias,        \
                       const float* const* residual, int act, bool accumulate);                               \
  bool output_f4_##isa(const float* m, size_t m_stride, size_t n, float* const* y, const float* bias,        \
                       const float* const* residual, int act, bool accumulate);

EFFNET_WINOGRAD_DECLARE(avx512)
EFFNET_WINOGRAD_DECLARE(avx2)
EFFNET_WINOGRAD_DECLARE(portable)
#undef EFFNET_WINOGRAD_DECLARE

}  // namespace winograd
}  // namespace effnet
