// The fused MBConv block on the GPU (EffnetMBConv; the contract and weight layouts of
// effnet/mbconv.h, batch norms folded). Plain C++ API used by binding_cuda/mbconv.cc.
//
//   e = has_expand ? swish(x * We + be) : x                       (1x1 expand)
//   d = swish(depthwise(e, Wd, stride, pads) + bd)                 [N, Ho, Wo, Cexp]
//   s = sigmoid(swish(mean_hw(d) * Wr + br) * Wx + bx)             (squeeze-and-excitation gate)
//   y = (d * s) * Wp + bp (+ x when residual)                      [N, Ho, Wo, Cout]
#pragma once
#include "effnet/mbconv.h"  // MBConvParams, mbconv_validate

namespace effnet {
namespace cuda {

// Device pointers, float32, in the layouts of effnet::MBConvWeights: expand [Cin, Cexp] (null when
// !has_expand), depthwise [k, k, Cexp], SE reduce [Cexp, Cse], SE expand [Cse, Cexp], project
// [Cexp, Cout]; one bias per output channel of each.
struct MBConvDeviceWeights {
  const float* expand_kernel = nullptr;
  const float* expand_bias = nullptr;
  const float* depthwise_kernel = nullptr;
  const float* depthwise_bias = nullptr;
  const float* se_reduce_kernel = nullptr;
  const float* se_reduce_bias = nullptr;
  const float* se_expand_kernel = nullptr;
  const float* se_expand_bias = nullptr;
  const float* project_kernel = nullptr;
  const float* project_bias = nullptr;
};

// x [batch, in_h, in_w, in_channels] -> out [batch, out_h, out_w, out_channels], queued on the
// engine's stream. Validates `p` (effnet::mbconv_validate: errors start with "EffnetMBConv: ");
// `out` must not alias `x`. The expanded tensor never goes to device memory: each thread block
// expands the input patch its output tile needs into shared memory and runs the depthwise
// convolution there; only the depthwise output (needed again after the SE gate) is written.
void mbconv(const MBConvParams& p, const float* x, const MBConvDeviceWeights& w, float* out);

}  // namespace cuda
}  // namespace effnet
