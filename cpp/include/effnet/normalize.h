// Batch normalisation (inference) and bilinear resizing, with tfjs-backend-cpu's exact arithmetic.
#pragma once
#include <cstddef>
#include <cstdint>

#include "effnet/common.h"

namespace effnet {

// One batch-norm parameter: `size` values indexed cyclically against x's flat index (tfjs's
// semantics), or data == nullptr for the default (offset 0, scale 1).
struct BatchNormOperand {
  const float* data = nullptr;
  size_t size = 0;
};

// out[i] = offset + (x[i] - mean) * scale / sqrt(variance + epsilon), computed in double like tfjs
// and rounded once to float. Threaded; vectorised when every operand has 1 or L values and L
// divides n (the usual per-channel case).
void batch_norm(const float* x, size_t n, BatchNormOperand mean, BatchNormOperand variance, BatchNormOperand offset,
                BatchNormOperand scale, double epsilon, float* out);

struct ResizeBilinearParams {
  int64_t batch = 1, in_h = 0, in_w = 0, channels = 0;
  int64_t out_h = 0, out_w = 0;
  bool align_corners = false;
  bool half_pixel_centers = false;
};

// images [batch, in_h, in_w, channels] (float32 or int32) -> out float32 [batch, out_h, out_w, channels].
void resize_bilinear(const ResizeBilinearParams& p, const float* x, float* out);
void resize_bilinear(const ResizeBilinearParams& p, const int32_t* x, float* out);

}  // namespace effnet
