// The fused EfficientNet head on the GPU (EffnetHead; the contract and weight layouts of
// effnet/head.h). Plain C++ API used by binding_cuda/head.cc.
//
//   f = swish(x * Wc + bc)            [N, H, W, Chead]   (never stored)
//   m = mean of f over H and W        [N, Chead]
//   y = m * Wd + bd                   [N, classes]
#pragma once
#include "effnet/head.h"  // HeadParams, head_validate

namespace effnet {
namespace cuda {

// Device pointers, float32, in the layouts of effnet::HeadWeights: conv [Cin, Chead], conv bias
// [Chead], dense [Chead, classes], dense bias [classes].
struct HeadDeviceWeights {
  const float* conv_kernel = nullptr;
  const float* conv_bias = nullptr;
  const float* dense_kernel = nullptr;
  const float* dense_bias = nullptr;
};

// x [batch, height, width, in_channels] -> out [batch, num_classes], queued on the engine's stream.
// Validates `p` (effnet::head_validate: errors start with "EffnetHead: "). Three launches (cuda/head.cuh):
// conv + bias + swish with per-tile channel sums (only the sums, [N, ceil(H*W / 64), Chead], go to
// device memory), the means, the classifier. Deterministic: no atomics, fixed summation orders.
void head(const HeadParams& p, const float* x, const HeadDeviceWeights& w, float* out);

}  // namespace cuda
}  // namespace effnet
