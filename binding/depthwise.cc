// DepthwiseConv2dNative and FusedDepthwiseConv2D entries: unpack the options, call the engine.
#include <array>
#include <vector>

#include "args.h"
#include "depthwise_operands.h"
#include "effnet/depthwise.h"
#include "families.h"
#include "shape_options.h"

namespace binding {
namespace {

// Options: x, filter, out (buffer ids); batch, inH, inW, channels, multiplier, filterH, filterW,
// strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW; optional bias, biasSize,
// biasStrides, prelu, preluSize, preluStrides, activation (code), alpha.
Napi::Value Run(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  effnet::DepthwiseConv2DParams p;
  read_depthwise_shape(args, p);
  const DepthwiseActivation act = read_depthwise_activation(args);
  p.activation = static_cast<effnet::Activation>(act.code);
  p.leakyrelu_alpha = act.alpha;

  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t f_n = element_count({p.filter_h, p.filter_w, p.channels, p.multiplier}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels, p.multiplier}, op);
  std::vector<effnet::BufferPtr> keep;
  const float* x = args.data<float>("x", x_n, effnet::DType::kFloat32, keep);
  effnet::BufferPtr filter = args.buffer("filter", f_n, effnet::DType::kFloat32);
  float* out = args.output<float>("out", o_n, effnet::DType::kFloat32, keep);  // every element written
  // bias / prelu: broadcast against the output (see effnet::DepthwiseOperand).
  const std::array<int64_t, 4> dims{p.batch, p.out_h, p.out_w, p.channels * p.multiplier};
  auto operand = [&](const char* key, const char* size_key, const char* strides_key) {
    const DepthwiseOperandOptions read = read_depthwise_operand(args, key, size_key, strides_key, dims, keep);
    effnet::DepthwiseOperand o;
    o.data = read.data;
    for (int i = 0; i < 4; ++i) o.strides[i] = read.strides[i];
    return o;
  };
  const effnet::DepthwiseOperand bias = operand("bias", "biasSize", "biasStrides");
  const effnet::DepthwiseOperand prelu = operand("prelu", "preluSize", "preluStrides");
  try {
    effnet::depthwise_conv2d(p, x, filter, bias, prelu, out);
  } catch (const effnet::Error& e) {
    args.fail(e.what());
  }
  return info.Env().Undefined();
}

Napi::Value DepthwiseConv2D(const Napi::CallbackInfo& info) { return Run(info, "DepthwiseConv2dNative"); }
Napi::Value FusedDepthwiseConv2D(const Napi::CallbackInfo& info) { return Run(info, "FusedDepthwiseConv2D"); }

}  // namespace

void init_depthwise(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "depthwiseConv2d", DepthwiseConv2D);
  export_entry(env, exports, "fusedDepthwiseConv2d", FusedDepthwiseConv2D);
}

}  // namespace binding
