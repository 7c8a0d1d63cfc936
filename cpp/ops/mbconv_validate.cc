// EffnetMBConv's shape checks, shared by the CPU op (cpp/ops/mbconv.cc) and the CUDA op
// (cuda/mbconv.cu), so both addons answer bad shapes with the same messages.
#include <cstdint>
#include <initializer_list>
#include <string>

#include "effnet/mbconv.h"

namespace effnet {
namespace {

constexpr const char* kOp = "EffnetMBConv: ";

[[noreturn]] void fail(const std::string& message) { throw Error(message); }

}  // namespace

void mbconv_validate(const MBConvParams& p) {
  using std::to_string;
  const std::string op = kOp;
  if (p.batch < 0) fail(op + "batch must be >= 0, got " + to_string(p.batch));
  if (p.in_h < 1 || p.in_w < 1) {
    fail(op + "input height and width must be >= 1, got " + to_string(p.in_h) + "x" + to_string(p.in_w));
  }
  if (p.in_channels < 1 || p.expanded_channels < 1 || p.se_channels < 1 || p.out_channels < 1) {
    fail(op + "channel counts must be >= 1 (in " + to_string(p.in_channels) + ", expanded " +
         to_string(p.expanded_channels) + ", se " + to_string(p.se_channels) + ", out " + to_string(p.out_channels) +
         ")");
  }
  if (p.kernel_size < 1 || p.kernel_size % 2 != 1 || p.kernel_size > 31) {
    fail(op + "kernelSize " + to_string(p.kernel_size) + "; supported: odd sizes 1..31");
  }
  if (p.stride != 1 && p.stride != 2) fail(op + "stride " + to_string(p.stride) + "; supported: 1, 2");
  const int64_t k = p.kernel_size;
  for (int64_t pad : {p.pad_top, p.pad_bottom, p.pad_left, p.pad_right}) {
    if (pad < 0 || pad >= k) {
      fail(op + "pads [" + to_string(p.pad_top) + ", " + to_string(p.pad_bottom) + ", " + to_string(p.pad_left) +
           ", " + to_string(p.pad_right) + "]; supported: each in 0.." + to_string(k - 1) + " for a " +
           to_string(k) + "x" + to_string(k) + " kernel");
    }
  }
  const int64_t big = int64_t(1) << 31;
  if (p.batch >= big || p.in_h >= big || p.in_w >= big || p.in_channels >= big || p.expanded_channels >= big ||
      p.se_channels >= big || p.out_channels >= big) {
    fail(op + "dimension out of range");
  }
  if (p.in_h + p.pad_top + p.pad_bottom < k || p.in_w + p.pad_left + p.pad_right < k) {
    fail(op + "input " + to_string(p.in_h) + "x" + to_string(p.in_w) + " is too small for a " + to_string(k) + "x" +
         to_string(k) + " kernel with these pads");
  }
  const int64_t oh = (p.in_h + p.pad_top + p.pad_bottom - k) / p.stride + 1;
  const int64_t ow = (p.in_w + p.pad_left + p.pad_right - k) / p.stride + 1;
  if (p.out_h != oh || p.out_w != ow) {
    fail(op + "output size " + to_string(p.out_h) + "x" + to_string(p.out_w) + " does not match the input and pads (" +
         to_string(oh) + "x" + to_string(ow) + ")");
  }
  if (!p.has_expand && p.expanded_channels != p.in_channels) {
    fail(op + "without an expand conv the expanded channels (" + to_string(p.expanded_channels) +
         ") must equal the input channels (" + to_string(p.in_channels) + ")");
  }
  if (p.has_stem) {
    const Conv2DShape& st = p.stem;
    if (p.has_expand || p.residual) fail(op + "a stem needs a block without an expand conv and without a residual");
    if (st.batch != p.batch || st.out_h != p.in_h || st.out_w != p.in_w || st.out_c != p.in_channels) {
      fail(op + "the stem's output [" + to_string(st.batch) + ", " + to_string(st.out_h) + ", " + to_string(st.out_w) +
           ", " + to_string(st.out_c) + "] must be the block's input [" + to_string(p.batch) + ", " + to_string(p.in_h) +
           ", " + to_string(p.in_w) + ", " + to_string(p.in_channels) + "]");
    }
    if (st.in_h < 1 || st.in_w < 1 || st.in_c < 1 || st.in_h >= big || st.in_w >= big || st.in_c >= big ||
        st.filter_h < 1 || st.filter_w < 1 || st.filter_h > 15 || st.filter_w > 15 || st.stride_h < 1 ||
        st.stride_w < 1 || st.stride_h > 15 || st.stride_w > 15 || st.dilation_h != 1 || st.dilation_w != 1 ||
        st.pad_top < 0 || st.pad_left < 0 || st.pad_top >= st.filter_h || st.pad_left >= st.filter_w) {
      fail(op + "stem " + to_string(st.filter_h) + "x" + to_string(st.filter_w) + " stride " + to_string(st.stride_h) +
           "x" + to_string(st.stride_w) + " on " + to_string(st.in_h) + "x" + to_string(st.in_w) + "x" +
           to_string(st.in_c) + " with pads (top " + to_string(st.pad_top) + ", left " + to_string(st.pad_left) +
           "); supported: filters and strides 1..15, no dilation, pads below the filter size");
    }
    if (!conv2d_interleaved_applicable(st)) {
      fail(op + "stem filter width x input channels " + to_string(st.filter_w * st.in_c) + "; supported: up to 48");
    }
    // The output size conv2d gives for these pads (the bottom and right pads are what remains).
    const int64_t need_h = (st.out_h - 1) * st.stride_h + st.filter_h, need_w = (st.out_w - 1) * st.stride_w + st.filter_w;
    if (need_h - st.pad_top > st.in_h + st.filter_h - 1 || need_w - st.pad_left > st.in_w + st.filter_w - 1 ||
        need_h - st.pad_top < st.in_h - st.stride_h + 1 || need_w - st.pad_left < st.in_w - st.stride_w + 1) {
      fail(op + "stem output " + to_string(st.out_h) + "x" + to_string(st.out_w) + " does not match its " +
           to_string(st.in_h) + "x" + to_string(st.in_w) + " input, filter, stride and pads");
    }
  }
  if (p.residual && (p.stride != 1 || p.in_channels != p.out_channels || oh != p.in_h || ow != p.in_w)) {
    fail(op + "residual needs stride 1, Cin == Cout and an output the size of the input; got stride " +
         to_string(p.stride) + ", " + to_string(p.in_channels) + " -> " + to_string(p.out_channels) + " channels, " +
         to_string(p.in_h) + "x" + to_string(p.in_w) + " -> " + to_string(oh) + "x" + to_string(ow));
  }
}

}  // namespace effnet
