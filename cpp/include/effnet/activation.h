// Scalar activation epilogue shared by fused kernels (reference semantics of tfjs's fused ops).
// Vector kernels implement the same formulas; this is the portable path and the reference.
#pragma once
#include <cmath>

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

}  // namespace effnet
