// DepthwiseConv2dNative and FusedDepthwiseConv2D entries: unpack the options, call the engine.
#include <vector>

#include "args.h"
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
  const int64_t act = args.integer_or("activation", 0);
  if (act < 0 || act > 7) args.fail("unknown activation code " + std::to_string(act));
  p.activation = static_cast<effnet::Activation>(act);
  p.leakyrelu_alpha = static_cast<float>(args.number_or("alpha", 0.2));

  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t f_n = element_count({p.filter_h, p.filter_w, p.channels, p.multiplier}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels, p.multiplier}, op);
  std::vector<effnet::BufferPtr> keep;
  const float* x = args.data<float>("x", x_n, effnet::DType::kFloat32, keep);
  effnet::BufferPtr filter = args.buffer("filter", f_n, effnet::DType::kFloat32);
  float* out = args.data<float>("out", o_n, effnet::DType::kFloat32, keep);
  // bias / prelu: `<key>Size` values; optional `<key>Strides` [4] broadcast them against the output
  // (see effnet::DepthwiseOperand), otherwise 1 value or one per output channel.
  const int64_t dims[4] = {p.batch, p.out_h, p.out_w, p.channels * p.multiplier};
  auto operand = [&](const char* key, const char* size_key, const char* strides_key) {
    effnet::DepthwiseOperand o;
    if (!args.has(key)) return o;
    const int64_t size = args.integer(size_key);
    if (size < 1) args.fail(std::string("'") + size_key + "' must be >= 1");
    o.data = args.data<float>(key, static_cast<size_t>(size), effnet::DType::kFloat32, keep);
    if (args.has(strides_key)) {
      const std::vector<int64_t> strides = args.integers(strides_key);
      if (strides.size() != 4) args.fail(std::string("'") + strides_key + "' must have 4 entries");
      int64_t last = 0;
      for (int i = 0; i < 4; ++i) {
        if (strides[i] < 0 || strides[i] > size) args.fail(std::string("'") + strides_key + "' out of range");
        o.strides[i] = strides[i];
        if (dims[i] > 0) last += (dims[i] - 1) * strides[i];
      }
      if (last >= size) args.fail(std::string("'") + key + "' is too small for its broadcast strides");
    } else if (size == 1) {
      o.strides[3] = 0;
    } else if (size != dims[3]) {
      args.fail(std::string("'") + key + "' must have 1 or " + std::to_string(dims[3]) + " values, got " +
                std::to_string(size));
    }
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
