// Host side of the fused epilogue: broadcast strides of bias/prelu operands and their device form.
#include <string>

#include "epilogue.cuh"

namespace effnet {
namespace cuda {

BroadcastOperand broadcast_operand(const std::string& what, const float* data, const Shape& shape, const Shape& out) {
  BroadcastOperand o;
  o.data = data;
  if (data == nullptr) return o;
  if (shape.size() > out.size()) throw Error(what + " of shape " + shape_str(shape) + " does not broadcast to " + shape_str(out));
  o.strides.assign(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    const size_t i = shape.size() - 1 - k;
    const size_t j = out.size() - 1 - k;
    if (shape[i] != 1 && shape[i] != out[j]) {
      throw Error(what + " of shape " + shape_str(shape) + " does not broadcast to the output shape " + shape_str(out) +
                  "; supported: shapes that broadcast to the output without enlarging it");
    }
    o.strides[j] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return o;
}

namespace {

DeviceOperand device_operand(const BroadcastOperand& o, const Shape& out) {
  DeviceOperand d{};
  if (o.data == nullptr) return d;
  d.data = o.data;
  if (out.size() > static_cast<size_t>(kMaxDims) || o.strides.size() != out.size()) {
    throw Error("fused epilogue: operand rank does not match the output's (at most 8)");
  }
  bool scalar = true, per_column = !out.empty();
  for (size_t k = 0; k < out.size(); ++k) {
    const bool live = o.strides[k] != 0 && out[k] != 1;
    if (live) scalar = false;
    if (k + 1 < out.size() ? live : (out[k] != 1 && o.strides[k] != 1)) per_column = false;
  }
  if (scalar) {
    d.kind = 2;
  } else if (per_column) {
    d.kind = 1;
  } else {
    d.kind = 3;
    d.rank = static_cast<int>(out.size());
    for (int k = 0; k < d.rank; ++k) {
      d.dims[k] = out[k];
      d.strides[k] = o.strides[k];
    }
  }
  return d;
}

}  // namespace

DeviceEpilogue to_device(const Epilogue& ep) {
  DeviceEpilogue d{};
  d.bias = device_operand(ep.bias, ep.out_shape);
  d.prelu = device_operand(ep.prelu, ep.out_shape);
  d.residual = ep.residual;
  d.act = ep.activation;
  d.alpha = ep.alpha;
  if (d.act < 0 || d.act > 7) throw Error("fused epilogue: unknown activation code " + std::to_string(d.act));
  if (d.act == 5 && d.prelu.kind == 0) throw Error("fused epilogue: activation 'prelu' needs preluActivationWeights");
  d.trivial = d.bias.kind == 0 && d.residual == nullptr && d.act == 0;
  return d;
}

}  // namespace cuda
}  // namespace effnet
