// EffnetHead's options, read once for both addons: the head's shape (checked by
// effnet::head_validate, whose errors start with "EffnetHead: ") and its buffers, each checked to
// hold what the shape says.
#pragma once
#include <cstddef>

#include "effnet/head.h"
#include "options.h"

namespace binding {

// batch, height, width, inChannels, headChannels, numClasses.
inline effnet::HeadParams read_head_params(const OptionReader& args) {
  effnet::HeadParams p;
  args.integer_fields({{"batch", &p.batch}, {"height", &p.height}, {"width", &p.width},
                       {"inChannels", &p.in_channels}, {"headChannels", &p.head_channels},
                       {"numClasses", &p.num_classes}});
  effnet::head_validate(p);
  return p;
}

// The head's buffers (x, out and the weights in the layouts of effnet/head.h), held while the op runs.
template <typename Args>
struct HeadBuffers {
  using Ptr = typename Args::BufferPtr;
  Ptr x, out, conv_kernel, conv_bias, dense_kernel, dense_bias;
};

// Options x, out, convKernel, convBias, denseKernel, denseBias (buffer ids). Throws when out is x's
// buffer.
template <typename Args>
HeadBuffers<Args> read_head_buffers(const Args& args, const effnet::HeadParams& p) {
  const char* op = args.op();
  const auto f32 = effnet::DType::kFloat32;
  HeadBuffers<Args> b;
  b.x = args.buffer("x", element_count({p.batch, p.height, p.width, p.in_channels}, op), f32);
  // The classifier writes every logit.
  b.out = args.buffer("out", element_count({p.batch, p.num_classes}, op), f32, /*overwrite=*/true);
  if (b.x == b.out) args.fail("out must not be x's buffer");
  b.conv_kernel = args.buffer("convKernel", element_count({p.in_channels, p.head_channels}, op), f32);
  b.conv_bias = args.buffer("convBias", static_cast<size_t>(p.head_channels), f32);
  b.dense_kernel = args.buffer("denseKernel", element_count({p.head_channels, p.num_classes}, op), f32);
  b.dense_bias = args.buffer("denseBias", static_cast<size_t>(p.num_classes), f32);
  return b;
}

}  // namespace binding
