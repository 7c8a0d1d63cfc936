// Scalar activation epilogue shared by fused kernels (reference semantics of tfjs's fused ops).
// Vector kernels implement the same formulas; this is the portable path and the reference.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "effnet/common.h"

namespace effnet {

// `alpha` is leakyrelu's slope; `prelu` the per-channel slope (only for kPrelu).
inline float apply_activation(float x, Activation act, float alpha, float prelu) {
  switch (act) {
    case Activation::kLinear: return x;
    case Activation::kRelu: return x < 0.f ? 0.f : x;  // NaN passes through, as in tfjs
    case Activation::kRelu6: return x < 0.f ? 0.f : (x > 6.f ? 6.f : x);
    case Activation::kElu: return x >= 0.f ? x : std::expm1(x);
    case Activation::kLeakyRelu: return x < 0.f ? alpha * x : x;
    case Activation::kPrelu: return x < 0.f ? prelu * x : x;
    case Activation::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case Activation::kSwish: return x / (1.f + std::exp(-x));
    case Activation::kSwishScaled: {  // x holds y = -log2(e) * x: swish = y / (c + c 2^y), c = -log2(e)
      const float c = kSwishInputScale;
      return x / (c + c * std::exp2(x));
    }
  }
  return x;
}

// A bias for Activation::kSwishScaled: to[i] = from[i] * kSwishInputScale for i < n; false when a finite
// value overflows (above FLT_MAX / log2(e) in magnitude: that swish then runs on unscaled values). Four
// lanes at a time (GCC vector extension) in one pass: the fused block runs it on every call, and a scalar
// check and scaling were a third of its own samples in a B1 replay under perf (~0.3% of the replay).
inline bool scale_for_swish(const float* from, size_t n, float* to) {
  typedef float v4 __attribute__((vector_size(16)));
  typedef int32_t i4 __attribute__((vector_size(16)));
  const float limit = std::numeric_limits<float>::max() / -kSwishInputScale;
  const v4 scale = {kSwishInputScale, kSwishInputScale, kSwishInputScale, kSwishInputScale};
  const v4 lo = {limit, limit, limit, limit};
  const v4 hi = {std::numeric_limits<float>::max(), std::numeric_limits<float>::max(),
                 std::numeric_limits<float>::max(), std::numeric_limits<float>::max()};
  i4 overflow = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v4 v;
    std::memcpy(&v, from + i, sizeof(v));
    const v4 scaled = v * scale;
    std::memcpy(to + i, &scaled, sizeof(scaled));
    const v4 a = v < 0 ? -v : v;
    overflow |= (a > lo) & (a <= hi);
  }
  bool bad = (overflow[0] | overflow[1] | overflow[2] | overflow[3]) != 0;
  for (; i < n; ++i) {
    to[i] = from[i] * kSwishInputScale;
    bad = bad || (std::isfinite(from[i]) && !std::isfinite(to[i]));
  }
  return !bad;
}

}  // namespace effnet
