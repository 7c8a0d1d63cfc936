// Depthwise 2-D convolution (NHWC), with a fused bias + activation epilogue.
//
// Two levels of API:
//  - depthwise_conv2d(): a whole tensor (threaded over batch x output rows, weights packed once
//    per filter buffer through packed_for).
//  - DepthwiseRowPlan: the row microkernel chosen for a shape at the active ISA, plus its packed
//    weights, for callers that produce input rows themselves (fused blocks) and call the kernel
//    row by row (see cpp/kernels/dwconv/dwconv.h for the row interface).
#pragma once
#include <cstddef>
#include <cstdint>

#include "effnet/buffer.h"
#include "effnet/common.h"
#include "effnet/isa.h"
#include "kernels/dwconv/dwconv.h"

namespace effnet {

struct DepthwiseConv2DParams {
  int64_t batch = 1, in_h = 0, in_w = 0, channels = 0, multiplier = 1;
  int64_t filter_h = 1, filter_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t out_h = 0, out_w = 0;
  Activation activation = Activation::kLinear;
  float leakyrelu_alpha = 0.2f;
};

// x [batch, in_h, in_w, channels]; filter [filter_h, filter_w, channels, multiplier];
// bias / prelu: nullptr, 1 value (broadcast) or channels*multiplier values;
// out [batch, out_h, out_w, channels*multiplier]. Throws effnet::Error on bad parameters.
void depthwise_conv2d(const DepthwiseConv2DParams& p, const float* x, const BufferPtr& filter, const float* bias,
                      size_t bias_size, const float* prelu, size_t prelu_size, float* out);

// A bias or prelu operand broadcast against the output [batch, out_h, out_w, channels*multiplier]
// (tfjs broadcasting): element (n, y, x, c) is data[n*s[0] + y*s[1] + x*s[2] + c*s[3]]
// (stride 0 along broadcast dimensions). data == nullptr: no operand.
struct DepthwiseOperand {
  const float* data = nullptr;
  int64_t strides[4] = {0, 0, 0, 1};
  // True when the operand varies along channels only (a per-channel vector or a scalar).
  bool per_channel() const { return strides[0] == 0 && strides[1] == 0 && strides[2] == 0; }
};

// As above with fully broadcast bias / prelu operands. Per-channel operands are fused into the
// row kernels; others are applied in a pass over each output row right after it is computed.
void depthwise_conv2d(const DepthwiseConv2DParams& p, const float* x, const BufferPtr& filter,
                      const DepthwiseOperand& bias, const DepthwiseOperand& prelu, float* out);

// The row kernel for a shape at an ISA level and the weights it wants.
struct DepthwiseRowPlan {
  dwconv::RowKernel kernel = nullptr;
  BufferPtr weights;     // what the kernel reads as RowArgs::weights (packed, or the source filter)
  const char* name = "";  // the kernel's function name, for diagnostics and benchmarks
  // Fixed-size kernels: the packed layout's channel tile. Channels [c0, c0 + n) with c0 a multiple
  // of it run as their own row of n channels with weights + c0 * filter_h * filter_w. 0 for the
  // generic kernel (weights not packed by channel tiles).
  size_t channel_tile = 0;
  // The kernel computes two output rows per call when RowArgs::out_next is set (the fixed-size
  // kernels at AVX-512, 3x3 stride 1 at AVX2): each input row loaded once for both, 4-14% faster.
  bool row_pairs = false;
  // The kernel fills RowArgs::channel_sums when it is set (the AVX-512 fixed-size kernels).
  bool channel_sums = false;
  // A swish runs as Activation::kSwishScaled: `weights` hold the filter times kSwishInputScale and the
  // bias given to depthwise_row_args must be scaled by it too (the AVX-512 and AVX2 fixed-size kernels).
  bool swish_scaled = false;
};

// Chooses the row kernel for `p` at `isa` and packs `filter` for it (cached per filter buffer). At
// AVX-512 a filter with an infinite or NaN weight gets the portable kernel (see kernels/dwconv/dwconv.h).
DepthwiseRowPlan plan_depthwise_rows(const DepthwiseConv2DParams& p, const BufferPtr& filter, Isa isa);

// The plan of a swish depthwise conv `p` on unscaled weights: the kernel of plan_depthwise_rows(p, ...) with the
// weights packed as they are (it then applies the plain swish), for a bias too large to scale.
DepthwiseRowPlan plan_depthwise_rows_unscaled(const DepthwiseConv2DParams& p, const BufferPtr& filter, Isa isa);

// The bias to give depthwise_row_args for `plan`: for a plan with swish_scaled, `bias` (channels *
// multiplier values, or null) times kSwishInputScale, written to `scaled`. When a value is too large to
// scale, `*unscaled` is set to the same kernel on unscaled weights (it then applies the plain swish), to
// run instead of `plan`, and `bias` is returned as it is; likewise for other plans (`*unscaled` untouched).
const float* depthwise_swish_bias(const DepthwiseConv2DParams& p, const DepthwiseRowPlan& plan, const BufferPtr& filter,
                                  const float* bias, float* scaled, DepthwiseRowPlan* unscaled);

// RowArgs for `plan` with everything but `rows` and `out` filled in. bias / prelu: nullptr or
// channels*multiplier values (prelu read only for the prelu activation; bias times kSwishInputScale
// when plan.swish_scaled). Typical use:
//   auto plan = plan_depthwise_rows(p, filter, active_isa());
//   dwconv::RowArgs a = depthwise_row_args(p, plan, bias, prelu);
//   for each output row oy: a.rows = <filter_h row pointers, nullptr for padding rows>;
//                           a.out = <output row>; plan.kernel(a);
// Input row ky of output row oy is oy * stride_h - pad_top + ky * dilation_h.
dwconv::RowArgs depthwise_row_args(const DepthwiseConv2DParams& p, const DepthwiseRowPlan& plan, const float* bias,
                                   const float* prelu);

}  // namespace effnet
