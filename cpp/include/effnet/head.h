// EfficientNet's head as one fused op (EffnetHead): the 1x1 head conv (batch norm folded) with
// swish, global average pooling and the classifier, without writing the [N, H, W, C_head] feature
// map to memory:
//
//   f = swish(x * Wc + bc)            [N, H, W, Chead]   (never stored)
//   m = mean of f over H and W        [N, Chead]
//   y = m * Wd + bd                   [N, classes]
//
// CPU (cpp/ops/head.cc): work items are (image, block of head channels). Each computes its block
// of f a tile of pixels at a time with the packed GEMM and its bias + swish epilogue into a small
// per-thread buffer and adds the tile's rows to per-channel sums (double, pixels in order), then the
// classifier runs as one GEMM over the N mean vectors. One image on one thread (batch-1 inference,
// AVX-512) instead runs the conv one GEMM panel of channels at a time and, after each, those channels'
// rows of the classifier, whose weights the conv's tiles fetch while they run (gemm_compute_panel's
// side stream; the classifier's megabytes otherwise arrive at the memory's rate after the conv), each
// logit still one chain of multiply-adds in channel order. Every value is computed in the same order
// whatever the thread count or the blocking, and in the same order as the composed ops (1x1
// FusedConv2D with swish, Mean over H and W, _FusedMatMul with bias) on native-cpu: the fused op
// gives the same bits as the composition. Both weights are packed once and cached against their
// buffers, in the layouts the conv and matmul ops cache (shared with the composed path); the batch-1
// path keeps the dense weights in a blocked layout of its own.
#pragma once
#include <cstdint>
#include <string>

#include "effnet/buffer.h"
#include "effnet/common.h"

namespace effnet {

struct HeadParams {
  int64_t batch = 1, height = 0, width = 0;
  int64_t in_channels = 0, head_channels = 0, num_classes = 0;
};

// Weights in the layouts of the kernel contract (src/models/head.ts): conv [Cin, Chead] (HWIO
// 1x1), conv bias [Chead], dense [Chead, classes], dense bias [classes]. The packed weights are
// passed as BufferPtr (the packed cache is keyed on them).
struct HeadWeights {
  BufferPtr conv_kernel;
  const float* conv_bias = nullptr;
  BufferPtr dense_kernel;
  const float* dense_bias = nullptr;
};

// Checks `p`; throws effnet::Error with a message starting "EffnetHead: ". Inline: the CUDA engine
// (cuda/head.cu) uses the same checks and messages.
inline void head_validate(const HeadParams& p) {
  using std::to_string;
  const std::string op = "EffnetHead: ";
  if (p.batch < 0) throw Error(op + "batch must be >= 0, got " + to_string(p.batch));
  if (p.height < 1 || p.width < 1) {
    throw Error(op + "input height and width must be >= 1, got " + to_string(p.height) + "x" + to_string(p.width));
  }
  if (p.in_channels < 1 || p.head_channels < 1 || p.num_classes < 1) {
    throw Error(op + "channel counts must be >= 1 (in " + to_string(p.in_channels) + ", head " +
                to_string(p.head_channels) + ", classes " + to_string(p.num_classes) + ")");
  }
  const int64_t limit = int64_t(1) << 31;
  if (p.batch >= limit || p.height >= limit || p.width >= limit || p.height * p.width >= limit ||
      p.in_channels >= limit || p.head_channels >= limit || p.num_classes >= limit) {
    throw Error(op + "dimensions must be below 2^31");
  }
}

// x [batch, height, width, in_channels] -> out [batch, num_classes]. Validates `p` and the weight
// buffers' sizes first.
void head(const HeadParams& p, const float* x, const HeadWeights& w, float* out);

}  // namespace effnet
