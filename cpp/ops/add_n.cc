// AddN: the sum of same-shape tensors, accumulated in input order into the output's dtype
// (as tfjs's `out[j] += in[j]` on a typed array).
#include "effnet/elementwise.h"
#include "effnet/threadpool.h"
#include "ops/elementwise_internal.h"

namespace effnet {

void add_n(const std::vector<const void*>& inputs, DType type, void* out, size_t n) {
  if (n == 0) return;
  check(!inputs.empty(), "AddN: needs at least one input");
  parallel_for(n, detail::kParallelGrain, [&](size_t begin, size_t end) {
    if (type == DType::kFloat32) {
      float* y = static_cast<float*>(out) + begin;
      const float zero = 0.f;
      detail::f32_binary(kernels::kF32Add, kernels::kScalarVec, &zero, static_cast<const float*>(inputs[0]) + begin, y,
                         end - begin);
      for (size_t k = 1; k < inputs.size(); ++k) {
        detail::f32_binary(kernels::kF32Add, kernels::kVecVec, y, static_cast<const float*>(inputs[k]) + begin, y,
                           end - begin);
      }
      return;
    }
    double acc[detail::kBlock], t[detail::kBlock];
    for (size_t i = begin; i < end; i += detail::kBlock) {
      const size_t m = end - i < detail::kBlock ? end - i : detail::kBlock;
      for (size_t j = 0; j < m; ++j) acc[j] = 0;
      for (const void* in : inputs) {
        detail::load_block(in, type, i, 1, m, t);
        // Each += is stored back into the typed array before the next input is added.
        for (size_t j = 0; j < m; ++j) acc[j] += t[j];
        detail::store_block(acc, out, type, i, m);
        detail::load_block(out, type, i, 1, m, acc);
      }
    }
  });
}

}  // namespace effnet
