// Conv2D and FusedConv2D entries: unpack and check the options, then call effnet::conv2d.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "effnet/conv.h"
#include "effnet/winograd.h"
#include "families.h"
#include "fused_epilogue.h"
#include "prepared.h"
#include "shape_options.h"

namespace binding {
namespace {

// Options: x, filter, out (buffer ids); batch, inH, inW, inC, outH, outW, outC, filterH, filterW,
// strideH, strideW, dilationH, dilationW, padTop, padLeft; fused epilogue options (fused_epilogue.h).
PreparedCall PrepareConv2D(const Args& args) {
  const char* op = args.op();
  effnet::Conv2DShape s;
  read_conv2d_shape(args, s);
  effnet::conv2d_check(s, op);

  std::vector<effnet::BufferPtr> keep;
  const size_t x_elems = element_count({s.batch, s.in_h, s.in_w, s.in_c}, op);
  const size_t f_elems = element_count({s.filter_h, s.filter_w, s.in_c, s.out_c}, op);
  const std::vector<int64_t> out_shape{s.batch, s.out_h, s.out_w, s.out_c};
  const size_t out_elems = element_count(out_shape, op);
  const float* x = args.data<float>("x", x_elems, effnet::DType::kFloat32, keep);
  effnet::BufferPtr filter_buf = args.buffer("filter", f_elems, effnet::DType::kFloat32);
  float* out = args.output<float>("out", out_elems, effnet::DType::kFloat32, keep);  // every element written
  auto ep = std::make_shared<FusedEpilogue>(args, out_shape, keep);
  // `path` (optional, benchmarks and tests): 0 automatic, 1 blocked implicit GEMM, 2 full im2col,
  // 3 few-channel rows read in place (dilation_w 1 only), 4 Winograd F(2x2,3x3), 5 Winograd F(4x4,3x3)
  // (3x3 stride-1 dilation-1 only); where a forced path does not apply, the automatic choice runs.
  const int64_t path = args.integer_or("path", 0);
  if (path < 0 || path > 5) args.fail("option 'path' must be 0, 1, 2, 3, 4 or 5");
  // keep holds the buffers x, out and the epilogue's pointers point into.
  return [s, keep = std::move(keep), x, filter_buf = std::move(filter_buf), out, ep = std::move(ep), out_elems, path]() {
    if (out_elems == 0) return;
    ep->before(out);
    effnet::conv2d_with_path(s, x, filter_buf, static_cast<const float*>(filter_buf->data()), out, ep->params(),
                             ep->accumulate(), static_cast<int>(path));
    ep->after(out);
  };
}

// winogradMode() -> 'f2' | 'f4' | 'off'; winogradMode(mode) sets it first (the automatic conv choice).
Napi::Value WinogradMode(const Napi::CallbackInfo& info) {
  using effnet::WinogradMode;
  if (info.Length() >= 1 && !info[0].IsUndefined()) {
    static constexpr WinogradMode kModes[] = {WinogradMode::kF2, WinogradMode::kF4, WinogradMode::kOff};
    effnet::set_winograd_mode(kModes[choice_arg(info[0], "winogradMode", "mode", {"f2", "f4", "off"})]);
  }
  switch (effnet::winograd_mode()) {
    case WinogradMode::kF2: return Napi::String::New(info.Env(), "f2");
    case WinogradMode::kF4: return Napi::String::New(info.Env(), "f4");
    case WinogradMode::kOff: break;
  }
  return Napi::String::New(info.Env(), "off");
}

}  // namespace

void init_conv(Napi::Env env, Napi::Object exports) {
  export_prepared_entry(env, exports, "conv2d", "Conv2D", PrepareConv2D);
  export_prepared_entry(env, exports, "fusedConv2d", "FusedConv2D", PrepareConv2D);
  export_entry(env, exports, "winogradMode", WinogradMode);
}

}  // namespace binding
