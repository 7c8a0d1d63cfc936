// EffnetMBConv's options, read once for both addons: the block's shape (checked by
// effnet::mbconv_validate, whose errors start with "EffnetMBConv: ") and its buffers, each checked
// to hold what the shape says.
#pragma once
#include <cstddef>

#include "effnet/mbconv.h"
#include "options.h"

namespace binding {

// batch, inH, inW, inChannels, expandedChannels, seChannels, outChannels, kernelSize, stride, padTop,
// padBottom, padLeft, padRight, outH, outW; hasExpand, residual (default false); hasStem (default false)
// and with it stemInH, stemInW, stemInChannels, stemKernelSize, stemStride, stemPadTop, stemPadLeft (a
// square stem filter and stride; the stem's output is the block's input).
inline effnet::MBConvParams read_mbconv_params(const OptionReader& args) {
  effnet::MBConvParams p;
  args.integer_fields({{"batch", &p.batch}, {"inH", &p.in_h}, {"inW", &p.in_w}, {"inChannels", &p.in_channels},
                       {"expandedChannels", &p.expanded_channels}, {"seChannels", &p.se_channels},
                       {"outChannels", &p.out_channels}, {"kernelSize", &p.kernel_size}, {"stride", &p.stride},
                       {"padTop", &p.pad_top}, {"padBottom", &p.pad_bottom}, {"padLeft", &p.pad_left},
                       {"padRight", &p.pad_right}, {"outH", &p.out_h}, {"outW", &p.out_w}});
  p.has_expand = args.boolean_or("hasExpand", false);
  p.residual = args.boolean_or("residual", false);
  p.has_stem = args.boolean_or("hasStem", false);
  if (p.has_stem) {
    effnet::Conv2DShape& st = p.stem;
    args.integer_fields({{"stemInH", &st.in_h}, {"stemInW", &st.in_w}, {"stemInChannels", &st.in_c},
                         {"stemKernelSize", &st.filter_h}, {"stemStride", &st.stride_h}, {"stemPadTop", &st.pad_top},
                         {"stemPadLeft", &st.pad_left}});
    st.batch = p.batch;
    st.filter_w = st.filter_h;
    st.stride_w = st.stride_h;
    st.out_h = p.in_h;
    st.out_w = p.in_w;
    st.out_c = p.in_channels;
  }
  effnet::mbconv_validate(p);
  return p;
}

// The block's buffers (x, out and the weights in the layouts of effnet/mbconv.h), held while the
// op runs. expand_kernel and expand_bias are null without an expand conv.
template <typename Args>
struct MBConvBuffers {
  using Ptr = typename Args::BufferPtr;
  Ptr x, out;
  Ptr stem_kernel, stem_bias;
  Ptr expand_kernel, expand_bias, depthwise_kernel, depthwise_bias, se_reduce_kernel, se_reduce_bias, se_expand_kernel,
      se_expand_bias, project_kernel, project_bias;
};

// Options x, out, depthwiseKernel, depthwiseBias, seReduceKernel, seReduceBias, seExpandKernel,
// seExpandBias, projectKernel, projectBias (buffer ids); expandKernel, expandBias when p.has_expand;
// stemKernel, stemBias when p.has_stem (x is then the stem's input image).
// Throws when out is x's buffer.
template <typename Args>
MBConvBuffers<Args> read_mbconv_buffers(const Args& args, const effnet::MBConvParams& p) {
  const char* op = args.op();
  const auto f32 = effnet::DType::kFloat32;
  const int64_t k = p.kernel_size, cin = p.in_channels, cexp = p.expanded_channels, cse = p.se_channels,
                cout = p.out_channels;
  MBConvBuffers<Args> b;
  if (p.has_stem) {
    const effnet::Conv2DShape& st = p.stem;
    b.x = args.buffer("x", element_count({p.batch, st.in_h, st.in_w, st.in_c}, op), f32);
    b.stem_kernel = args.buffer("stemKernel", element_count({st.filter_h, st.filter_w, st.in_c, cin}, op), f32);
    b.stem_bias = args.buffer("stemBias", static_cast<size_t>(cin), f32);
  } else {
    b.x = args.buffer("x", element_count({p.batch, p.in_h, p.in_w, cin}, op), f32);
  }
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

// The engine's view of the weights in `b` (the CPU addon's buffers): b must outlive it, since the biases are
// pointers into b's buffers.
template <typename Args>
effnet::MBConvWeights mbconv_weights(const effnet::MBConvParams& p, const MBConvBuffers<Args>& b) {
  auto f32 = [](const effnet::BufferPtr& buffer) { return static_cast<const float*>(buffer->data()); };
  effnet::MBConvWeights w;
  if (p.has_stem) {
    w.stem_kernel = b.stem_kernel;
    w.stem_bias = f32(b.stem_bias);
  }
  if (p.has_expand) {
    w.expand_kernel = b.expand_kernel;
    w.expand_bias = b.expand_bias;
  }
  w.depthwise_kernel = b.depthwise_kernel;
  w.depthwise_bias = b.depthwise_bias;
  w.se_reduce_kernel = b.se_reduce_kernel;
  w.se_reduce_bias = f32(b.se_reduce_bias);
  w.se_expand_kernel = b.se_expand_kernel;
  w.se_expand_bias = f32(b.se_expand_bias);
  w.project_kernel = b.project_kernel;
  w.project_bias = f32(b.project_bias);
  return w;
}

}  // namespace binding
