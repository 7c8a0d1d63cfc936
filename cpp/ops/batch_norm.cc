// Inference batch normalisation with tfjs's cyclic broadcasting of mean/variance/offset/scale.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "effnet/normalize.h"
#include "effnet/threadpool.h"

namespace effnet {

void batch_norm(const float* x, size_t n, BatchNormOperand mean, BatchNormOperand variance, BatchNormOperand offset,
                BatchNormOperand scale, double epsilon, float* out) {
  check(mean.data != nullptr && mean.size > 0, "batch_norm: mean is empty");
  check(variance.data != nullptr && variance.size > 0, "batch_norm: variance is empty");
  static const float kZero = 0.f, kOne = 1.f;
  if (offset.data == nullptr) offset = BatchNormOperand{&kZero, 1};
  if (scale.data == nullptr) scale = BatchNormOperand{&kOne, 1};
  check(offset.size > 0 && scale.size > 0, "batch_norm: offset or scale is empty");
  if (n == 0) return;

  const BatchNormOperand ops[4] = {mean, variance, offset, scale};
  size_t L = 1;
  for (const auto& o : ops) L = std::max(L, o.size);
  bool per_channel = n % L == 0;
  for (const auto& o : ops) per_channel = per_channel && (o.size == 1 || o.size == L);

  if (per_channel) {
    // Per-channel tables in double; the same operations in the same order as tfjs's loop.
    std::vector<double> m(L), d(L), o(L), s(L);
    for (size_t c = 0; c < L; ++c) {
      m[c] = mean.data[mean.size == 1 ? 0 : c];
      d[c] = std::sqrt(static_cast<double>(variance.data[variance.size == 1 ? 0 : c]) + epsilon);
      o[c] = offset.data[offset.size == 1 ? 0 : c];
      s[c] = scale.data[scale.size == 1 ? 0 : c];
    }
    const size_t rows = n / L;
    const size_t grain = std::max<size_t>(1, 32768 / L);
    parallel_for(rows, grain, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        const float* xr = x + r * L;
        float* yr = out + r * L;
        for (size_t c = 0; c < L; ++c) {
          yr[c] = static_cast<float>(o[c] + (static_cast<double>(xr[c]) - m[c]) * s[c] / d[c]);
        }
      }
    });
    return;
  }

  // General cyclic indexing (operands whose sizes do not line up with each other).
  const size_t grain = 32768;
  parallel_for(n, grain, [&](size_t begin, size_t end) {
    size_t mi = begin % mean.size, vi = begin % variance.size, oi = begin % offset.size, si = begin % scale.size;
    for (size_t i = begin; i < end; ++i) {
      out[i] = static_cast<float>(static_cast<double>(offset.data[oi]) +
                                  (static_cast<double>(x[i]) - mean.data[mi]) * scale.data[si] /
                                      std::sqrt(static_cast<double>(variance.data[vi]) + epsilon));
      if (++mi == mean.size) mi = 0;
      if (++vi == variance.size) vi = 0;
      if (++oi == offset.size) oi = 0;
      if (++si == scale.size) si = 0;
    }
  });
}

}  // namespace effnet
