// Convolutions with infinite or NaN values, answered as tfjs-backend-cpu answers them: each output is
// the sum of its taps inside the image, in any order. The fast paths differ there in two ways: they
// stand zeros in for the outside of the image (0 * inf = NaN where the reference skips the tap), and
// Winograd's transforms subtract taps from each other (inf - inf = NaN where the sums give inf).
// Internal to cpp/ops/conv2d.cc.
#pragma once
#include <cstddef>

#include "effnet/buffer.h"
#include "effnet/conv.h"
#include "effnet/gemm.h"

namespace effnet {

// Whether the `count` floats of `filter` are all finite: one pass per filter buffer, the answer cached
// against `source` like its packed forms (computed each call where source is null).
bool conv2d_filter_finite(const BufferPtr& source, const float* filter, size_t count);

// Whether some output pixel's window reaches outside the image (taps in the padding).
bool conv2d_window_leaves_image(const Conv2DShape& s);

// conv2d over the taps inside the image only, with the same epilogue (bias, residual, activation, and
// out's previous contents when `accumulate`): the path for filters that are not finite. Scalar sums
// over output channels, output rows split over threads; such filters are rare, not fast.
void conv2d_taps_inside(const Conv2DShape& s, const float* x, const float* filter, float* out,
                        const GemmEpilogueParams& ep, bool accumulate);

// Whether all n floats at p are finite (vector compares, no early exit).
bool floats_all_finite(const float* p, size_t n);

}  // namespace effnet
