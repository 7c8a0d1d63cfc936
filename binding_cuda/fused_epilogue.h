// Reads the fused-op epilogue options shared by FusedConv2D and _FusedMatMul (activation, leakyreluAlpha,
// bias + biasShape, prelu + preluShape, residual): the same options as binding/fused_epilogue.h.
#pragma once
#include <string>
#include <vector>

#include "args.h"

namespace cuda_binding {

inline effnet::cuda::Epilogue read_epilogue(const Args& args, const std::vector<int64_t>& out_shape,
                                            std::vector<effnet::cuda::DeviceBufferPtr>& keep) {
  effnet::cuda::Epilogue ep;
  ep.out_shape = out_shape;
  const int64_t act = args.integer_or("activation", 0);
  if (act < 0 || act > 7) args.fail("unsupported activation code " + std::to_string(act));
  ep.activation = static_cast<int>(act);
  ep.alpha = static_cast<float>(args.number_or("leakyreluAlpha", 0.2));
  try {
    if (args.has("bias")) {
      const std::vector<int64_t> shape = args.integers("biasShape");
      const float* bias = args.data<float>("bias", element_count(shape, args.op()), effnet::DType::kFloat32, keep);
      ep.bias = effnet::cuda::broadcast_operand("bias", bias, shape, out_shape);
    }
    if (args.has("residual")) {
      ep.residual = args.data<float>("residual", element_count(out_shape, args.op()), effnet::DType::kFloat32, keep);
    }
    if (ep.activation == 5) {
      if (!args.has("prelu")) args.fail("activation 'prelu' needs preluActivationWeights");
      const std::vector<int64_t> shape = args.integers("preluShape");
      const float* prelu = args.data<float>("prelu", element_count(shape, args.op()), effnet::DType::kFloat32, keep);
      ep.prelu = effnet::cuda::broadcast_operand("preluActivationWeights", prelu, shape, out_shape);
    }
  } catch (const effnet::Error& e) {
    const std::string what = e.what();
    if (what.rfind(args.op(), 0) == 0) throw;
    args.fail(what);
  }
  return ep;
}

}  // namespace cuda_binding
