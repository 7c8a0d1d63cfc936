// EffnetMBConv's options, read once for both addons: the block's shape (checked by
// effnet::mbconv_validate, whose errors start with "EffnetMBConv: ") and its buffers, each checked
// to hold what the shape says.
#pragma once
#include <cstddef>

#include "effnet/mbconv.h"
#include "options.h"

namespace binding {

// batch, inH, inW, inChannels, expandedChannels, seChannels, outChannels, kernelSize, stride, padTop,
// padBottom, padLeft, padRight, outH, outW; hasExpand, residual (default false).
inline effnet::MBConvParams read_mbconv_params(const OptionReader& args) {
  effnet::MBConvParams p;
  args.integer_fields({{"batch", &p.batch}, {"inH", &p.in_h}, {"inW", &p.in_w}, {"inChannels", &p.in_channels},
                       {"expandedChannels", &p.expanded_channels}, {"seChannels", &p.se_channels},
                       {"outChannels", &p.out_channels}, {"kernelSize", &p.kernel_size}, {"stride", &p.stride},
                       {"padTop", &p.pad_top}, {"padBottom", &p.pad_bottom}, {"padLeft", &p.pad_left},
                       {"padRight", &p.pad_right}, {"outH", &p.out_h}, {"outW", &p.out_w}});
  p.has_expand = args.boolean_or("hasExpand", false);
  p.residual = args.boolean_or("residual", false);
  effnet::mbconv_validate(p);
  return p;
}

// The block's buffers (x, out and the weights in the layouts of effnet/mbconv.h), held while the
// op runs. expand_kernel and expand_bias are null without an expand conv.
template <typename Args>
struct MBConvBuffers {
  using Ptr = typename Args::BufferPtr;
  Ptr x, out;
  Ptr expand_kernel, expand_bias, depthwise_kernel, depthwise_bias, se_reduce_kernel, se_reduce_bias, se_expand_kernel,
      se_expand_bias, project_kernel, project_bias;
};

// Options x, out, depthwiseKernel, depthwiseBias, seReduceKernel, seReduceBias, seExpandKernel,
// seExpandBias, projectKernel, projectBias (buffer ids); expandKernel, expandBias when p.has_expand.
// Throws when out is x's buffer.
template <typename Args>
MBConvBuffers<Args> read_mbconv_buffers(const Args& args, const effnet::MBConvParams& p) {
  const char* op = args.op();
  const auto f32 = effnet::DType::kFloat32;
  const int64_t k = p.kernel_size, cin = p.in_channels, cexp = p.expanded_channels, cse = p.se_channels,
                cout = p.out_channels;
  MBConvBuffers<Args> b;
  b.x = args.buffer("x", element_count({p.batch, p.in_h, p.in_w, cin}, op), f32);
  // The projection writes every output element.
  b.out = args.buffer("out", element_count({p.batch, p.out_h, p.out_w, cout}, op), f32, /*overwrite=*/true);
  if (b.x == b.out) args.fail("out must not be x's buffer");
  if (p.has_expand) {
    b.expand_kernel = args.buffer("expandKernel", element_count({cin, cexp}, op), f32);
    b.expand_bias = args.buffer("expandBias", static_cast<size_t>(cexp), f32);
  }
  b.depthwise_kernel = args.buffer("depthwiseKernel", element_count({k, k, cexp}, op), f32);
  b.depthwise_bias = args.buffer("depthwiseBias", static_cast<size_t>(cexp), f32);
  b.se_reduce_kernel = args.buffer("seReduceKernel", element_count({cexp, cse}, op), f32);
  b.se_reduce_bias = args.buffer("seReduceBias", static_cast<size_t>(cse), f32);
  b.se_expand_kernel = args.buffer("seExpandKernel", element_count({cse, cexp}, op), f32);
  b.se_expand_bias = args.buffer("seExpandBias", static_cast<size_t>(cexp), f32);
  b.project_kernel = args.buffer("projectKernel", element_count({cexp, cout}, op), f32);
  b.project_bias = args.buffer("projectBias", static_cast<size_t>(cout), f32);
  return b;
}

}  // namespace binding
