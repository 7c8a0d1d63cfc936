// Winograd convolution for 3x3 stride-1 dilation-1 convs (NHWC input, HWIO filter): input and
// output transforms vectorised over channels, the t*t element-wise products batched over tiles as
// GEMMs on the GEMM engine against filters transformed and packed once (cached per weight buffer).
#pragma once
#include "effnet/buffer.h"
#include "effnet/conv.h"
#include "effnet/gemm.h"

namespace effnet {

enum class WinogradVariant {
  kF2 = 2,  // F(2x2, 3x3): 4x4 tiles, 16 products per 4 outputs (2.25x fewer than direct); accurate
  kF4 = 4,  // F(4x4, 3x3): 6x6 tiles, 36 products per 16 outputs (4x fewer); ~1-2 digits less accurate
};

// Whether conv2d_winograd can run `s` (3x3 filter, stride 1, dilation 1).
bool winograd_applicable(const Conv2DShape& s);

// Whether conv2d's automatic choice uses Winograd. kF2 (the default) uses F(2x2,3x3) for every 3x3
// stride-1 dilation-1 conv with >= 16 input and output channels (1.3x faster on ResNet-152); kF4 uses
// F(4x4,3x3) there (F(2x2) below 8x8 outputs); kOff keeps the GEMM paths, whose sums run in the same order
// as tfjs-backend-cpu's. F(2x2)'s error against exact (float64) sums is about that of tfjs-backend-cpu's own
// float32 sums (test/winograd.test.ts bounds it), a different rounding that differs from tfjs-backend-cpu
// by ~1e-5 once K = 9 * in_channels reaches ~576; F(4x4) loses about one more digit.
// The initial mode comes from the environment variable EFFNET_WINOGRAD ("f2", "f4", "off"), read once.
enum class WinogradMode { kOff, kF2, kF4 };
WinogradMode winograd_mode();
void set_winograd_mode(WinogradMode mode);

// The automatic choice for `s` under winograd_mode(): true, and the variant, to use Winograd.
bool winograd_preferred(const Conv2DShape& s, WinogradVariant* variant);

// Same contract as conv2d (epilogue, accumulate); throws when !winograd_applicable(s). Returns whether
// an output holds NaN: an infinite input or weight makes inf - inf in the transforms where direct sums
// give +-inf, and F(4x4) carries a NaN input to outputs whose windows do not read it (conv2d then
// computes the conv again directly).
bool conv2d_winograd(const Conv2DShape& s, const float* x, const BufferPtr& filter_source, const float* filter,
                     float* out, const GemmEpilogueParams& ep, bool accumulate, WinogradVariant variant);

}  // namespace effnet
