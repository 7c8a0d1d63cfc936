// Reads the fused-op epilogue options shared by FusedConv2D and _FusedMatMul (bias, activation,
// prelu slopes, leakyrelu alpha) and maps tfjs's broadcasting onto the GEMM epilogue.
#pragma once
#include <string>
#include <vector>

#include "args.h"
#include "effnet/gemm.h"

namespace binding {

class FusedEpilogue {
 public:
  // Options: activation (code, default 0), leakyreluAlpha, bias + biasShape, prelu + preluShape,
  // residual (a buffer of the output's shape added before the activation; used by fused blocks).
  FusedEpilogue(const Args& args, const std::vector<int64_t>& out_shape, std::vector<effnet::BufferPtr>& keep)
      : out_shape_(out_shape) {
    const int64_t act = args.integer_or("activation", 0);
    if (act < 0 || act > 7) args.fail("unsupported activation code " + std::to_string(act));
    params_.act = static_cast<effnet::Activation>(act);
    params_.alpha = static_cast<float>(args.number_or("leakyreluAlpha", 0.2));
    const size_t n = out_shape.empty() ? 1 : static_cast<size_t>(out_shape.back());
    if (args.has("bias")) {
      bias_shape_ = args.integers("biasShape");
      check_broadcast(args, "bias", bias_shape_);
      const float* bias = args.data<float>("bias", element_count(bias_shape_, args.op()),
                                           effnet::DType::kFloat32, keep);
      if (effnet::broadcast_kind(bias_shape_, out_shape) == effnet::BroadcastKind::kPerColumn) {
        bias_ = bias;
      } else {
        bias_full_ = bias;
      }
    }
    if (args.has("residual")) {
      params_.residual = args.data<float>("residual", element_count(out_shape, args.op()),
                                          effnet::DType::kFloat32, keep);
      params_.residual_stride = n;
    }
    if (params_.act == effnet::Activation::kPrelu) {
      if (!args.has("prelu")) args.fail("activation 'prelu' needs preluActivationWeights");
      prelu_shape_ = args.integers("preluShape");
      check_broadcast(args, "preluActivationWeights", prelu_shape_);
      const float* prelu = args.data<float>("prelu", element_count(prelu_shape_, args.op()),
                                            effnet::DType::kFloat32, keep);
      if (effnet::broadcast_kind(prelu_shape_, out_shape) == effnet::BroadcastKind::kPerColumn) {
        prelu_ = prelu;
      } else {
        prelu_full_ = prelu;
        params_.act = effnet::Activation::kLinear;  // applied after the GEMM, broadcast
      }
    }
  }

  // The GEMM epilogue; valid after before().
  const effnet::GemmEpilogueParams& params() const { return params_; }
  // Whether the output must be pre-filled (with the broadcast bias) and accumulated into.
  bool accumulate() const { return bias_full_ != nullptr; }

  // Reads the bias and slopes (on every run of a prepared call: they may be a graph's intermediates) and
  // pre-fills the output where the bias is broadcast whole.
  void before(float* out) {
    const size_t n = out_shape_.empty() ? 1 : static_cast<size_t>(out_shape_.back());
    if (bias_ != nullptr) bias_cols_ = effnet::per_column_values(bias_, bias_shape_, n);
    if (prelu_ != nullptr) prelu_cols_ = effnet::per_column_values(prelu_, prelu_shape_, n);
    params_.bias = bias_ != nullptr ? bias_cols_.data() : nullptr;
    params_.prelu = prelu_ != nullptr ? prelu_cols_.data() : nullptr;
    if (bias_full_ != nullptr) effnet::broadcast_to(bias_full_, bias_shape_, out_shape_, out);
  }
  void after(float* out) const {
    if (prelu_full_ != nullptr) effnet::prelu_broadcast(out, out_shape_, prelu_full_, prelu_shape_);
  }

 private:
  void check_broadcast(const Args& args, const char* what, const std::vector<int64_t>& shape) const {
    bool ok = shape.size() <= out_shape_.size();
    for (size_t i = 0; ok && i < shape.size(); ++i) {
      const int64_t d = shape[shape.size() - 1 - i];
      const int64_t o = out_shape_[out_shape_.size() - 1 - i];
      ok = d == 1 || d == o;
    }
    if (!ok) {
      auto str = [](const std::vector<int64_t>& v) {
        std::string s = "[";
        for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
        return s + "]";
      };
      args.fail(std::string(what) + " of shape " + str(shape) + " does not broadcast to the output shape " +
                str(out_shape_) + "; supported: shapes that broadcast to the output without enlarging it");
    }
  }

  std::vector<int64_t> out_shape_;
  effnet::GemmEpilogueParams params_;
  std::vector<float> bias_cols_, prelu_cols_;
  std::vector<int64_t> bias_shape_, prelu_shape_;
  const float* bias_ = nullptr;   // per-column bias, read into bias_cols_ by before()
  const float* prelu_ = nullptr;  // per-column slopes, read into prelu_cols_ by before()
  const float* bias_full_ = nullptr;
  const float* prelu_full_ = nullptr;
};

}  // namespace binding
