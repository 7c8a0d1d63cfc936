// One MBConv block (inverted residual + squeeze-and-excitation, EfficientNet) as one fused op.
//
//   e = has_expand ? swish(x * We + be) : x                       (1x1 expand)
//   d = swish(depthwise(e, Wd, stride, pads) + bd)                 [N, Ho, Wo, Cexp]
//   s = sigmoid(swish(mean_hw(d) * Wr + br) * Wx + bx)             (squeeze-and-excitation gate)
//   y = (d * s) * Wp + bp (+ x when residual)                      [N, Ho, Wo, Cout]
//
// Two passes per batch:
//  1. Output rows are split across threads. Each thread computes the expanded rows its depthwise
//     rows need into a small ring of rows (cache-resident; the expanded tensor is never written to
//     memory), runs the depthwise row kernel (+ bias + swish) into d and adds each d row to
//     per-thread channel sums.
//  2. The SE gate from the channel means (tiny matrix-vector work), then the projection GEMM over d
//     with bias and residual fused in its epilogue. The gate is folded into the projection weights
//     per image (W' = diag(s) * Wp, scaled in the GEMM's packed layout) when that is cheaper than
//     scaling d (large spatial sizes), otherwise d is scaled in place.
// Expand and projection weights are packed once per weight buffer (packed cache, shared with
// conv2d's 1x1 packing), depthwise weights likewise (plan_depthwise_rows).
//
// With a stem (has_stem: EfficientNet's first block, which has no expand conv, after the stem conv)
// x is the image and the block's input rows are the stem's output rows,
//   x0 = swish(conv2d(x, Ws, stem) + bs)                           [N, in_h, in_w, in_channels]
// computed into the ring as the depthwise needs them, like the expanded rows: x0 is never written to
// memory. Its rows have conv2d's bits (conv2d_interleaved_rows), so the block gives what the stem conv
// followed by the block gives. Needs no expand conv, no residual, and a stem conv2d runs interleaved.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "effnet/buffer.h"
#include "effnet/common.h"
#include "effnet/conv.h"

namespace effnet {

struct MBConvParams {
  int64_t batch = 1, in_h = 0, in_w = 0;
  int64_t in_channels = 0, expanded_channels = 0, se_channels = 0, out_channels = 0;
  int64_t kernel_size = 3, stride = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t out_h = 0, out_w = 0;
  bool has_expand = true;
  bool residual = false;
  // The stem conv in front of the block (see above): x is [batch, stem.in_h, stem.in_w, stem.in_c],
  // stem.out_h/out_w/out_c are in_h/in_w/in_channels.
  bool has_stem = false;
  Conv2DShape stem;
};

// Weights in the layouts of the kernel contract (src/models/mbconv.ts), batch norms folded:
// expand [Cin, Cexp] (HWIO 1x1), depthwise [k, k, Cexp], SE reduce [Cexp, Cse], SE expand
// [Cse, Cexp], project [Cexp, Cout]; biases per output channel. Buffers that get packed are passed
// as BufferPtr (the packed cache is keyed on them); the others as pointers the caller keeps alive.
struct MBConvWeights {
  BufferPtr stem_kernel;             // HWIO [fh, fw, stem.in_c, in_channels]; null without a stem
  const float* stem_bias = nullptr;  // [in_channels]; null without a stem
  BufferPtr expand_kernel;  // null when !has_expand
  // Buffers, not pointers, for the two biases whose swish-scaled forms are cached against them as packed
  // weights are (effnet/packed_cache.h): a rewritten bias then goes with its stale form.
  BufferPtr expand_bias;  // [Cexp]; null when !has_expand
  BufferPtr depthwise_kernel;
  BufferPtr depthwise_bias;  // [Cexp]
  BufferPtr se_reduce_kernel;            // [Cexp, Cse]
  const float* se_reduce_bias = nullptr;
  BufferPtr se_expand_kernel;            // [Cse, Cexp]
  const float* se_expand_bias = nullptr;
  BufferPtr project_kernel;
  const float* project_bias = nullptr;
};

// Checks `p` (throws effnet::Error with a message starting "EffnetMBConv: ").
void mbconv_validate(const MBConvParams& p);

// The packed forms of a block's weights kept by a caller that runs the same block many times (a
// captured graph's prepared call), so that a run skips the packed-weight cache's lookups. Filled by
// the first run; a later run refills it when the ISA level or packed_cache_epoch() has changed.
struct MBConvPacked;
std::shared_ptr<MBConvPacked> mbconv_packed_slot();

// Whether a run may write its output over x's memory (out == x; out may be the larger): pass 1 reads x
// whole before pass 2 writes out, and the projection reads each residual element just before it stores
// the output element in its place, unless its GEMM splits K (gemm_splits_k) and stores partial sums
// first. A captured graph places a block's output over its input where this holds and the input dies
// with the block (src/cpu_graph.ts).
bool mbconv_output_may_overwrite_input(const MBConvParams& p);

// x [batch, in_h, in_w, in_channels] -> out [batch, out_h, out_w, out_channels]. `out` must not
// overlap `x`, except out == x where mbconv_output_may_overwrite_input(p) allows it. Validates `p`, the
// weight buffers' sizes and the overlap first. `kept` (optional) keeps the packed weights between runs
// of the same block with the same weights.
void mbconv(const MBConvParams& p, const float* x, const MBConvWeights& w, float* out, MBConvPacked* kept = nullptr);

}  // namespace effnet
