// Softmax over the last axis: y = exp(x - max) / sum, per row (numerically stable; NaN and
// infinities behave as tfjs's max -> sub -> exp -> sum -> div sequence).
#include "effnet/elementwise.h"
#include "effnet/threadpool.h"
#include "ops/elementwise_internal.h"

namespace effnet {

void softmax_f32(const float* x, float* y, size_t rows, size_t cols) {
  if (rows == 0 || cols == 0) return;
  parallel_for(rows, detail::kParallelGrain / (4 * cols) + 1, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      const float max = detail::f32_rmax(xr, cols);
      const float sum = detail::f32_raddstoreexpminusmax(xr, max, yr, cols);
      detail::f32_binary(kernels::kF32Div, kernels::kVecScalar, yr, &sum, yr, cols);
    }
  });
}

}  // namespace effnet
