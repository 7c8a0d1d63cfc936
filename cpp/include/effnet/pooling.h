// 2-D max / average pooling (NHWC), with tfjs's semantics: windows are clipped to the image,
// averages divide by the number of valid elements, max ignores NaN inputs (tfjs's `>` comparison).
#pragma once
#include <cstdint>

#include "effnet/common.h"

namespace effnet {

enum class PoolType : int32_t { kMax = 0, kAvg = 1 };

struct Pool2DParams {
  int64_t batch = 1, in_h = 0, in_w = 0, channels = 0;
  int64_t filter_h = 1, filter_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t out_h = 0, out_w = 0;
  PoolType type = PoolType::kMax;
};

// x [batch, in_h, in_w, channels] -> out [batch, out_h, out_w, channels]. Threads over
// batch x output rows. Throws effnet::Error on bad parameters.
void pool2d(const Pool2DParams& p, const float* x, float* out);

}  // namespace effnet
