// The option names of convolution shapes, read once for both addons: the CPU engine's and the CUDA
// engine's shape structs have the same fields, so each entry fills its own struct from here.
#pragma once
#include "options.h"

namespace binding {

// batch, inH, inW, inC, outH, outW, outC, filterH, filterW; strideH/W, dilationH/W (default 1);
// padTop, padLeft (default 0).
template <typename Shape>
void read_conv2d_shape(const OptionReader& args, Shape& s) {
  s.batch = args.integer("batch");
  s.in_h = args.integer("inH");
  s.in_w = args.integer("inW");
  s.in_c = args.integer("inC");
  s.out_h = args.integer("outH");
  s.out_w = args.integer("outW");
  s.out_c = args.integer("outC");
  s.filter_h = args.integer("filterH");
  s.filter_w = args.integer("filterW");
  s.stride_h = args.integer_or("strideH", 1);
  s.stride_w = args.integer_or("strideW", 1);
  s.dilation_h = args.integer_or("dilationH", 1);
  s.dilation_w = args.integer_or("dilationW", 1);
  s.pad_top = args.integer_or("padTop", 0);
  s.pad_left = args.integer_or("padLeft", 0);
}

// batch, inH, inW, channels, multiplier, filterH, filterW, strideH, strideW, padTop, padLeft, outH, outW;
// dilationH/W (default 1). Throws unless the multiplier is >= 1.
template <typename Shape>
void read_depthwise_shape(const OptionReader& args, Shape& p) {
  p.batch = args.integer("batch");
  p.in_h = args.integer("inH");
  p.in_w = args.integer("inW");
  p.channels = args.integer("channels");
  p.multiplier = args.integer("multiplier");
  p.filter_h = args.integer("filterH");
  p.filter_w = args.integer("filterW");
  p.stride_h = args.integer("strideH");
  p.stride_w = args.integer("strideW");
  p.dilation_h = args.integer_or("dilationH", 1);
  p.dilation_w = args.integer_or("dilationW", 1);
  p.pad_top = args.integer("padTop");
  p.pad_left = args.integer("padLeft");
  p.out_h = args.integer("outH");
  p.out_w = args.integer("outW");
  if (p.multiplier < 1) args.fail("channel multiplier must be >= 1");
}

}  // namespace binding
