// The option names of convolution, pooling, matrix-multiplication and resize shapes, read once for
// both addons: the CPU engine's and the CUDA engine's shape structs have the same fields, so each
// entry fills its own struct from here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "options.h"

namespace binding {

// batch, inH, inW, inC, outH, outW, outC, filterH, filterW; strideH/W, dilationH/W (default 1);
// padTop, padLeft (default 0).
template <typename Shape>
void read_conv2d_shape(const OptionReader& args, Shape& s) {
  args.integer_fields({{"batch", &s.batch}, {"inH", &s.in_h}, {"inW", &s.in_w}, {"inC", &s.in_c}, {"outH", &s.out_h},
                       {"outW", &s.out_w}, {"outC", &s.out_c}, {"filterH", &s.filter_h}, {"filterW", &s.filter_w}});
  args.integer_fields_or(1, {{"strideH", &s.stride_h}, {"strideW", &s.stride_w}, {"dilationH", &s.dilation_h},
                             {"dilationW", &s.dilation_w}});
  args.integer_fields_or(0, {{"padTop", &s.pad_top}, {"padLeft", &s.pad_left}});
}

// batch, inH, inW, channels, multiplier, filterH, filterW, strideH, strideW, padTop, padLeft, outH, outW;
// dilationH/W (default 1). Throws unless the multiplier is >= 1.
template <typename Shape>
void read_depthwise_shape(const OptionReader& args, Shape& p) {
  args.integer_fields({{"batch", &p.batch}, {"inH", &p.in_h}, {"inW", &p.in_w}, {"channels", &p.channels},
                       {"multiplier", &p.multiplier}, {"filterH", &p.filter_h}, {"filterW", &p.filter_w},
                       {"strideH", &p.stride_h}, {"strideW", &p.stride_w}});
  args.integer_fields_or(1, {{"dilationH", &p.dilation_h}, {"dilationW", &p.dilation_w}});
  args.integer_fields({{"padTop", &p.pad_top}, {"padLeft", &p.pad_left}, {"outH", &p.out_h}, {"outW", &p.out_w}});
  if (p.multiplier < 1) args.fail("channel multiplier must be >= 1");
}

// batch, inH, inW, channels, filterH, filterW, strideH, strideW, padTop, padLeft, outH, outW.
template <typename Shape>
void read_pool2d_shape(const OptionReader& args, Shape& p) {
  args.integer_fields({{"batch", &p.batch}, {"inH", &p.in_h}, {"inW", &p.in_w}, {"channels", &p.channels},
                       {"filterH", &p.filter_h}, {"filterW", &p.filter_w}, {"strideH", &p.stride_h},
                       {"strideW", &p.stride_w}, {"padTop", &p.pad_top}, {"padLeft", &p.pad_left},
                       {"outH", &p.out_h}, {"outW", &p.out_w}});
}

// Element counts of a batch matmul's operands and output, and the output's full shape.
struct MatMulSizes {
  size_t a = 0, b = 0, out = 0;
  std::vector<int64_t> out_shape;  // for broadcasting the epilogue operands
};

// batchA, batchB, batch (>= 1), m, n, k (>= 0), transposeA, transposeB (default false), outShape (the
// output's full shape: batch x m x n with the batch dims spelled out).
template <typename Shape>
MatMulSizes read_matmul_shape(const OptionReader& args, Shape& s) {
  const char* op = args.op();
  const int64_t batch_a = args.integer("batchA"), batch_b = args.integer("batchB"), batch = args.integer("batch");
  const int64_t m = args.integer("m"), n = args.integer("n"), k = args.integer("k");
  if (batch_a < 1 || batch_b < 1 || batch < 1) args.fail("batch sizes must be >= 1");
  if (m < 0 || n < 0 || k < 0) args.fail("negative matrix dimension");
  s.batch_a = static_cast<size_t>(batch_a);
  s.batch_b = static_cast<size_t>(batch_b);
  s.batch = static_cast<size_t>(batch);
  s.m = static_cast<size_t>(m);
  s.n = static_cast<size_t>(n);
  s.k = static_cast<size_t>(k);
  s.transpose_a = args.boolean_or("transposeA", false);
  s.transpose_b = args.boolean_or("transposeB", false);
  MatMulSizes sizes;
  sizes.out_shape = args.integers("outShape");
  const std::vector<int64_t>& out_shape = sizes.out_shape;
  sizes.out = element_count({batch, m, n}, op);
  if (element_count(out_shape, op) != sizes.out || out_shape.size() < 2 || out_shape.back() != n ||
      out_shape[out_shape.size() - 2] != m) {
    args.fail("outShape does not match batch x m x n");
  }
  sizes.a = element_count({batch_a, m, k}, op);
  sizes.b = element_count({batch_b, k, n}, op);
  return sizes;
}

// batch, inH, inW, channels, outH, outW; alignCorners, halfPixelCenters (default false); dtype of the
// images, returned: float32 or int32.
template <typename Shape>
effnet::DType read_resize_bilinear_shape(const OptionReader& args, Shape& p) {
  args.integer_fields({{"batch", &p.batch}, {"inH", &p.in_h}, {"inW", &p.in_w}, {"channels", &p.channels},
                       {"outH", &p.out_h}, {"outW", &p.out_w}});
  p.align_corners = args.boolean_or("alignCorners", false);
  p.half_pixel_centers = args.boolean_or("halfPixelCenters", false);
  const effnet::DType dtype = args.dtype("dtype");
  if (dtype != effnet::DType::kFloat32 && dtype != effnet::DType::kInt32) {
    args.fail("unsupported images dtype; supported: float32, int32");
  }
  return dtype;
}

}  // namespace binding
