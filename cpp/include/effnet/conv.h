// 2-D convolution (NHWC input, HWIO filter) on the GEMM engine, with tfjs's fused epilogue.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "effnet/buffer.h"
#include "effnet/common.h"
#include "effnet/gemm.h"

namespace effnet {

struct Conv2DShape {
  int64_t batch = 0, in_h = 0, in_w = 0, in_c = 0;
  int64_t out_h = 0, out_w = 0, out_c = 0;
  int64_t filter_h = 0, filter_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
};

// Throws effnet::Error (prefixed with `op`) when the shape is inconsistent.
void conv2d_check(const Conv2DShape& s, const char* op);

// out[b, oy, ox, co] = epilogue(sum over (fy, fx, ci) of x[b, iy, ix, ci] * filter[fy, fx, ci, co]),
// iy = oy*stride_h - pad_top + fy*dilation_h (ix likewise), taps outside the image left out (as in
// tfjs-backend-cpu: an infinite weight there adds nothing, not 0 * inf; see cpp/ops/conv2d_nonfinite.h).
// `filter_source` is the buffer holding `filter` (its packed form is cached against it).
// With `accumulate`, out's previous contents are added (used for broadcast biases).
// 1x1 stride-1 unpadded convs run one GEMM with M = batch*H*W; convs with few input channels per
// filter row (stems) run a GEMM per output row that reads the input rows in place (tiles with a
// segmented entry; other tiles get the rows interleaved into a small buffer first); others gather
// blocks of output pixels' patches into a small per-thread buffer and run the GEMM on each block.
void conv2d(const Conv2DShape& s, const float* x, const BufferPtr& filter_source, const float* filter, float* out,
            const GemmEpilogueParams& ep, bool accumulate);

// The interleaved strategy (stems: few input channels per filter row) in pieces, for ops that compute
// a conv's output rows as they need them (a fused MBConv block with its stem, effnet/mbconv.h). The
// rows come out with the same bits as conv2d's.
// Whether `s` can run it: dilation_w == 1 and filter_w * in_c <= 48.
bool conv2d_interleaved_applicable(const Conv2DShape& s);
// The filter packed for it (cached against `filter_source`, as conv2d caches it).
struct InterleavedConv {
  GemmKernel kernel;
  BufferPtr packed;
  // The tile reads each output row's input rows in place (a segmented GEMM, the filter packed as HWIO);
  // otherwise they are interleaved into a buffer first (the filter packed in (fx, fy, ci) order).
  bool segmented = false;
};
InterleavedConv conv2d_interleaved_prepare(const Conv2DShape& s, const BufferPtr& filter_source, const float* filter);
// Output rows [row_begin, row_end) (numbered over batch and out_h) into `out`, out_w * out_c floats a
// row, on the calling thread. The epilogue's residual (if any) is indexed from row_begin.
void conv2d_interleaved_rows(const Conv2DShape& s, const float* x, const InterleavedConv& conv, size_t row_begin,
                             size_t row_end, float* out, const GemmEpilogueParams& ep, bool accumulate = false);

// conv2d with a forced strategy, for benchmarks and tests: 0 = automatic (what conv2d does),
// 1 = blocked patch gathering (implicit GEMM) for every conv, 2 = gather every pixel's patch
// (full im2col) and run one GEMM, 3 = the few-channel strategy: input rows read in place, by the tile's
// segmented entry or interleaved first (needs dilation_w == 1).
void conv2d_with_path(const Conv2DShape& s, const float* x, const BufferPtr& filter_source, const float* filter,
                      float* out, const GemmEpilogueParams& ep, bool accumulate, int path);

}  // namespace effnet
