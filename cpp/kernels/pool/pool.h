// 2-D pooling row microkernels (NHWC, channels innermost): one output row for all channels,
// vectorised over channels. The caller passes only the input rows inside the image (padding rows
// are left out); columns outside [0, in_w) are skipped, so averages divide by the number of valid
// elements, as tfjs does. Max keeps the first of equal values and ignores NaN inputs, exactly like
// tfjs's `pixel > max` comparison.
//
// Variants (the file name is the function name): pool-{max,avg}-{avx512,avx2,portable}.cc
#pragma once
#include <cstddef>

namespace effnet {
namespace pool {

struct RowArgs {
  const float* const* rows;  // row_count input rows, each in_w * channels floats from column 0
  size_t row_count;
  float* out;                // out_w * channels floats
  size_t channels;
  size_t in_w;
  size_t out_w;
  size_t filter_w;
  size_t stride_w;
  ptrdiff_t pad_left;
};

using RowKernel = void (*)(const RowArgs& args);

void pool_max_avx512(const RowArgs& args);
void pool_avg_avx512(const RowArgs& args);
void pool_max_avx2(const RowArgs& args);
void pool_avg_avx2(const RowArgs& args);
void pool_max_portable(const RowArgs& args);
void pool_avg_portable(const RowArgs& args);

}  // namespace pool
}  // namespace effnet
