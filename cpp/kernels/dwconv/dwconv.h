// Depthwise-convolution row microkernels (NHWC, channels innermost).
//
// Every kernel computes ONE output row for all channels. The caller gathers the input rows the
// filter touches (row pointers; nullptr for a row that lies in the padding) so the same kernels
// serve a whole tensor (cpp/ops/depthwise_conv2d.cc) or rows produced on the fly by a fused block.
// Column padding is handled inside the kernels (interior fast path + border path), never by a
// padded copy of the input. The AVX-512 fixed-size kernels' border path multiplies zeros by the taps
// that fall outside the row, so they need finite weights (plan_depthwise_rows sends other filters
// to the portable kernels).
//
// Variants (the file name is the function name):
//   dwconv-{3x3,5x5}s{1,2}-{avx512,avx2,portable}.cc   channel multiplier 1, dilation 1,
//       weights packed by pack_dwconv_weights with the variant's channel tile (DWCONV_TILE_*).
//   dwconv-generic-portable.cc   any kernel size, stride, dilation and channel multiplier,
//       weights in tfjs's [kh][kw][channels][multiplier] layout.
#pragma once
#include <cstddef>
#include <cstdint>

namespace effnet {
namespace dwconv {

// Channel tile (floats) of the packed weight layout of each ISA's fixed-size kernels.
constexpr size_t kTileAvx512 = 16;
constexpr size_t kTileAvx2 = 8;
constexpr size_t kTilePortable = 8;

// Fused epilogue: out = activation(conv + bias).
struct Epilogue {
  const float* bias;   // [channels * multiplier] or nullptr
  const float* prelu;  // [channels * multiplier] slopes, read only when activation is prelu
  int32_t activation;  // effnet::Activation code (common.h)
  float alpha;         // leakyrelu slope
};

struct RowArgs {
  // kernel_h input rows, each `in_w * channels` floats starting at column 0; nullptr = padding row.
  const float* const* rows;
  // Fixed-size kernels: packed [ceil(channels / tile)][kernel_h * kernel_w][tile] (zero-padded).
  // Generic kernel: [kernel_h][kernel_w][channels][multiplier].
  const float* weights;
  float* out;           // out_w pixels, out_stride floats apart
  // When set (kernels whose plan says row_pairs only), the kernel also computes the next output row into
  // out_next; `rows` then holds kernel_h + stride_w row pointers (the next row's taps start at
  // rows[stride_w]).
  float* out_next = nullptr;
  // When set (kernels whose plan says channel_sums; activations linear, relu, relu6 and swish), the
  // kernel writes each channel's sum of this call's outputs (both rows of a pair), in float, to
  // channel_sums[0, channels): what a fused block's squeeze-and-excitation averages, without
  // reading the rows back.
  float* channel_sums = nullptr;
  // When set, the AVX-512 and AVX2 kernels write whole channel vectors of out / out_next with
  // non-temporal stores: no read for ownership, and the rows bypass the caches. For outputs far larger
  // than the caches (a fused block's depthwise output at B7's first resolutions), read back only after
  // the whole map is written. Needs out, out_next and out_stride aligned to the vector (64 bytes, 16
  // floats); the caller fences (std::atomic_thread_fence) before other threads read the rows.
  bool stream_out = false;
  size_t channels;      // input channels
  // Floats from one output pixel to the next: channels * multiplier for a row of its own, more when the
  // channels are a range of a wider map's (a fused block's worker writes its channels into the map).
  size_t out_stride;
  size_t in_w;          // input row width (pixels)
  size_t out_w;         // output row width (pixels)
  ptrdiff_t pad_left;   // input column of output column 0's first tap is -pad_left
  // Used by the generic kernel only (fixed-size kernels have them built in):
  size_t kernel_h, kernel_w, stride_w, dilation_w, multiplier;
  Epilogue epilogue;
};

using RowKernel = void (*)(const RowArgs& args);

void dwconv_3x3s1_avx512(const RowArgs& args);
void dwconv_3x3s2_avx512(const RowArgs& args);
void dwconv_5x5s1_avx512(const RowArgs& args);
void dwconv_5x5s2_avx512(const RowArgs& args);

void dwconv_3x3s1_avx2(const RowArgs& args);
void dwconv_3x3s2_avx2(const RowArgs& args);
void dwconv_5x5s1_avx2(const RowArgs& args);
void dwconv_5x5s2_avx2(const RowArgs& args);

void dwconv_3x3s1_portable(const RowArgs& args);
void dwconv_3x3s2_portable(const RowArgs& args);
void dwconv_5x5s1_portable(const RowArgs& args);
void dwconv_5x5s2_portable(const RowArgs& args);

void dwconv_generic_portable(const RowArgs& args);

}  // namespace dwconv
}  // namespace effnet
