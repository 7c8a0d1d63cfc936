// Conv2D / FusedConv2D, DepthwiseConv2dNative / FusedDepthwiseConv2D, BatchMatMul / _FusedMatMul,
// AvgPool / MaxPool, FusedBatchNorm, ResizeBilinear entries of the CUDA addon: the CPU addon's
// entry names and options (binding/conv.cc, depthwise.cc, matmul.cc, pooling.cc, normalize.cc).
#include <array>
#include <string>
#include <vector>

#include "args.h"
#include "batch_norm_options.h"
#include "depthwise_operands.h"
#include "families.h"
#include "fused_epilogue.h"
#include "shape_options.h"

namespace cuda_binding {
namespace {

using effnet::DType;
using effnet::cuda::DeviceBufferPtr;

Napi::Value RunConv2D(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  effnet::cuda::Conv2DShape s;
  binding::read_conv2d_shape(args, s);
  if (s.stride_h < 1 || s.stride_w < 1 || s.dilation_h < 1 || s.dilation_w < 1 || s.filter_h < 1 || s.filter_w < 1) {
    args.fail("strides, dilations and filter sizes must be >= 1");
  }
  // Every read of x is bounds-checked in the kernel, so any output size and padding is memory-safe.
  std::vector<DeviceBufferPtr> keep;
  const size_t x_elems = element_count({s.batch, s.in_h, s.in_w, s.in_c}, op);
  const size_t f_elems = element_count({s.filter_h, s.filter_w, s.in_c, s.out_c}, op);
  const std::vector<int64_t> out_shape{s.batch, s.out_h, s.out_w, s.out_c};
  const size_t out_elems = element_count(out_shape, op);
  const float* x = args.data<float>("x", x_elems, DType::kFloat32, keep);
  const float* filter = args.data<float>("filter", f_elems, DType::kFloat32, keep);
  float* out = args.output<float>("out", out_elems, DType::kFloat32, keep);  // the GEMM writes every element
  const effnet::cuda::Epilogue ep = read_epilogue(args, out_shape, keep);
  if (out_elems == 0) return info.Env().Undefined();
  effnet::cuda::conv2d(s, x, filter, out, ep);
  return info.Env().Undefined();
}

Napi::Value Conv2D(const Napi::CallbackInfo& info) { return RunConv2D(info, "Conv2D"); }
Napi::Value FusedConv2D(const Napi::CallbackInfo& info) { return RunConv2D(info, "FusedConv2D"); }

// Options: x, filter, out; batch, inH, inW, channels, multiplier, filterH, filterW, strideH, strideW,
// dilationH, dilationW, padTop, padLeft, outH, outW; bias/biasSize[/biasStrides], prelu/preluSize
// [/preluStrides], activation (code), alpha.
Napi::Value RunDepthwise(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  effnet::cuda::DepthwiseShape p;
  binding::read_depthwise_shape(args, p);
  if (p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1 || p.filter_h < 1 || p.filter_w < 1) {
    args.fail("strides, dilations and filter sizes must be >= 1");
  }
  effnet::cuda::Epilogue ep;
  const binding::DepthwiseActivation act = binding::read_depthwise_activation(args);
  ep.activation = act.code;
  ep.alpha = act.alpha;
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t f_n = element_count({p.filter_h, p.filter_w, p.channels, p.multiplier}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels, p.multiplier}, op);
  std::vector<DeviceBufferPtr> keep;
  const float* x = args.data<float>("x", x_n, DType::kFloat32, keep);
  const float* filter = args.data<float>("filter", f_n, DType::kFloat32, keep);
  float* out = args.output<float>("out", o_n, DType::kFloat32, keep);  // one thread per output element
  const std::array<int64_t, 4> dims{p.batch, p.out_h, p.out_w, p.channels * p.multiplier};
  ep.out_shape.assign(dims.begin(), dims.end());
  auto operand = [&](const char* key, const char* size_key, const char* strides_key) {
    const binding::DepthwiseOperandOptions read =
        binding::read_depthwise_operand(args, key, size_key, strides_key, dims, keep);
    effnet::cuda::BroadcastOperand o;
    if (read.data == nullptr) return o;
    o.data = read.data;
    o.strides.assign(read.strides.begin(), read.strides.end());
    return o;
  };
  ep.bias = operand("bias", "biasSize", "biasStrides");
  ep.prelu = operand("prelu", "preluSize", "preluStrides");
  if (ep.activation == 5 && ep.prelu.data == nullptr) args.fail("activation 'prelu' needs preluActivationWeights");
  if (o_n == 0) return info.Env().Undefined();
  effnet::cuda::depthwise_conv2d(p, x, filter, out, ep);
  return info.Env().Undefined();
}

Napi::Value Depthwise(const Napi::CallbackInfo& info) { return RunDepthwise(info, "DepthwiseConv2dNative"); }
Napi::Value FusedDepthwise(const Napi::CallbackInfo& info) { return RunDepthwise(info, "FusedDepthwiseConv2D"); }

Napi::Value RunMatMul(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  effnet::cuda::MatMulShape s;
  const binding::MatMulSizes sizes = binding::read_matmul_shape(args, s);
  std::vector<DeviceBufferPtr> keep;
  const float* a = args.data<float>("a", sizes.a, DType::kFloat32, keep);
  const float* b = args.data<float>("b", sizes.b, DType::kFloat32, keep);
  float* out = args.output<float>("out", sizes.out, DType::kFloat32, keep);  // the GEMM writes every element
  const effnet::cuda::Epilogue ep = read_epilogue(args, sizes.out_shape, keep);
  if (sizes.out == 0) return info.Env().Undefined();
  effnet::cuda::batch_matmul(s, a, b, out, ep);
  return info.Env().Undefined();
}

Napi::Value BatchMatMul(const Napi::CallbackInfo& info) { return RunMatMul(info, "BatchMatMul"); }
Napi::Value FusedMatMul(const Napi::CallbackInfo& info) { return RunMatMul(info, "_FusedMatMul"); }

Napi::Value RunPool(const Napi::CallbackInfo& info, const char* op, bool is_max) {
  Args args(info, op);
  effnet::cuda::Pool2DShape p;
  binding::read_pool2d_shape(args, p);
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels}, op);
  std::vector<DeviceBufferPtr> keep;
  const float* x = args.data<float>("x", x_n, DType::kFloat32, keep);
  float* out = args.output<float>("out", o_n, DType::kFloat32, keep);  // one thread per output element
  try {
    effnet::cuda::pool2d(is_max, p, x, out);
  } catch (const effnet::Error& e) {
    const std::string what = e.what();
    if (what.rfind(op, 0) == 0) throw;
    args.fail(what);
  }
  return info.Env().Undefined();
}

Napi::Value MaxPool(const Napi::CallbackInfo& info) { return RunPool(info, "MaxPool", true); }
Napi::Value AvgPool(const Napi::CallbackInfo& info) { return RunPool(info, "AvgPool", false); }

Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const char* op = "FusedBatchNorm";
  Args args(info, op);
  const auto o = binding::read_batch_norm<effnet::cuda::CyclicOperand>(args);
  effnet::cuda::batch_norm(o.x, o.size, o.mean, o.variance, o.offset, o.scale, o.epsilon, o.out);
  return info.Env().Undefined();
}

Napi::Value ResizeBilinear(const Napi::CallbackInfo& info) {
  const char* op = "ResizeBilinear";
  Args args(info, op);
  effnet::cuda::ResizeShape p;
  const DType dtype = binding::read_resize_bilinear_shape(args, p);
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels}, op);
  std::vector<DeviceBufferPtr> keep;
  float* out = args.data<float>("out", o_n, DType::kFloat32, keep);
  const void* x = args.data<void>("x", x_n, dtype, keep);
  try {
    effnet::cuda::resize_bilinear(p, x, dtype == DType::kInt32, out);
  } catch (const effnet::Error& e) {
    const std::string what = e.what();
    if (what.rfind(op, 0) == 0) throw;
    args.fail(what);
  }
  return info.Env().Undefined();
}

}  // namespace

void init_conv(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "conv2d", Conv2D);
  export_entry(env, exports, "fusedConv2d", FusedConv2D);
  export_entry(env, exports, "depthwiseConv2d", Depthwise);
  export_entry(env, exports, "fusedDepthwiseConv2d", FusedDepthwise);
  export_entry(env, exports, "batchMatMul", BatchMatMul);
  export_entry(env, exports, "fusedMatMul", FusedMatMul);
  export_entry(env, exports, "maxPool", MaxPool);
  export_entry(env, exports, "avgPool", AvgPool);
  export_entry(env, exports, "batchNorm", BatchNorm);
  export_entry(env, exports, "resizeBilinear", ResizeBilinear);
}

}  // namespace cuda_binding
