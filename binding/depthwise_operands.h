// The epilogue options of the depthwise entries (activation code and alpha, bias and prelu operands
// broadcast against the output), read once for both addons.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace binding {

// activation (code 0..7 as effnet::Activation, default 0) and alpha (leakyrelu, default 0.2).
struct DepthwiseActivation {
  int code = 0;
  float alpha = 0.2f;
};

inline DepthwiseActivation read_depthwise_activation(const OptionReader& args) {
  DepthwiseActivation a;
  const int64_t code = args.integer_or("activation", 0);
  if (code < 0 || code > 7) args.fail("unknown activation code " + std::to_string(code));
  a.code = static_cast<int>(code);
  a.alpha = static_cast<float>(args.number_or("alpha", 0.2));
  return a;
}

// A float32 operand broadcast against the output [batch, outH, outW, channels * multiplier]: element
// (n, y, x, c) is data[n*s[0] + y*s[1] + x*s[2] + c*s[3]]. data == nullptr: the operand is absent.
struct DepthwiseOperandOptions {
  const float* data = nullptr;
  std::array<int64_t, 4> strides{0, 0, 0, 1};
};

// `key` (buffer id) with `size_key` values; optional `strides_key` [4] broadcasts them against the
// output of dims `out_dims`, otherwise there is 1 value or one per output channel.
template <typename Args>
DepthwiseOperandOptions read_depthwise_operand(const Args& args, const char* key, const char* size_key,
                                               const char* strides_key, const std::array<int64_t, 4>& out_dims,
                                               BufferList<Args>& keep) {
  DepthwiseOperandOptions o;
  if (!args.has(key)) return o;
  const int64_t size = args.integer(size_key);
  if (size < 1) args.fail(std::string("'") + size_key + "' must be >= 1");
  o.data = args.template data<float>(key, static_cast<size_t>(size), effnet::DType::kFloat32, keep);
  if (args.has(strides_key)) {
    const std::vector<int64_t> strides = args.integers(strides_key);
    if (strides.size() != 4) args.fail(std::string("'") + strides_key + "' must have 4 entries");
    int64_t last = 0;
    for (int i = 0; i < 4; ++i) {
      if (strides[i] < 0 || strides[i] > size) args.fail(std::string("'") + strides_key + "' out of range");
      o.strides[i] = strides[i];
      if (out_dims[i] > 0) last += (out_dims[i] - 1) * strides[i];
    }
    if (last >= size) args.fail(std::string("'") + key + "' is too small for its broadcast strides");
  } else if (size == 1) {
    o.strides[3] = 0;
  } else if (size != out_dims[3]) {
    args.fail(std::string("'") + key + "' must have 1 or " + std::to_string(out_dims[3]) + " values, got " +
              std::to_string(size));
  }
  return o;
}

}  // namespace binding
