// Conv2D / FusedConv2D, DepthwiseConv2dNative / FusedDepthwiseConv2D, BatchMatMul / _FusedMatMul,
// AvgPool / MaxPool, FusedBatchNorm, ResizeBilinear entries of the CUDA addon: the CPU addon's
// entry names and options (binding/conv.cc, depthwise.cc, matmul.cc, pooling.cc, normalize.cc).
#include <string>
#include <vector>

#include "args.h"
#include "families.h"
#include "fused_epilogue.h"
#include "registry.h"
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
  float* out = args.data<float>("out", out_elems, DType::kFloat32, keep);
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
  const int64_t act = args.integer_or("activation", 0);
  if (act < 0 || act > 7) args.fail("unknown activation code " + std::to_string(act));
  ep.activation = static_cast<int>(act);
  ep.alpha = static_cast<float>(args.number_or("alpha", 0.2));
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t f_n = element_count({p.filter_h, p.filter_w, p.channels, p.multiplier}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels, p.multiplier}, op);
  std::vector<DeviceBufferPtr> keep;
  const float* x = args.data<float>("x", x_n, DType::kFloat32, keep);
  const float* filter = args.data<float>("filter", f_n, DType::kFloat32, keep);
  float* out = args.data<float>("out", o_n, DType::kFloat32, keep);
  const std::vector<int64_t> dims{p.batch, p.out_h, p.out_w, p.channels * p.multiplier};
  ep.out_shape = dims;
  auto operand = [&](const char* key, const char* size_key, const char* strides_key) {
    effnet::cuda::BroadcastOperand o;
    if (!args.has(key)) return o;
    const int64_t size = args.integer(size_key);
    if (size < 1) args.fail(std::string("'") + size_key + "' must be >= 1");
    o.data = args.data<float>(key, static_cast<size_t>(size), DType::kFloat32, keep);
    o.strides = {0, 0, 0, 1};
    if (args.has(strides_key)) {
      const std::vector<int64_t> strides = args.integers(strides_key);
      if (strides.size() != 4) args.fail(std::string("'") + strides_key + "' must have 4 entries");
      int64_t last = 0;
      for (int i = 0; i < 4; ++i) {
        if (strides[i] < 0 || strides[i] > size) args.fail(std::string("'") + strides_key + "' out of range");
        if (dims[i] > 0) last += (dims[i] - 1) * strides[i];
      }
      if (last >= size) args.fail(std::string("'") + key + "' is too small for its broadcast strides");
      o.strides = strides;
    } else if (size == 1) {
      o.strides[3] = 0;
    } else if (size != dims[3]) {
      args.fail(std::string("'") + key + "' must have 1 or " + std::to_string(dims[3]) + " values, got " +
                std::to_string(size));
    }
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
  const int64_t batch_a = args.integer("batchA"), batch_b = args.integer("batchB"), batch = args.integer("batch");
  const int64_t m = args.integer("m"), n = args.integer("n"), k = args.integer("k");
  if (batch_a < 1 || batch_b < 1 || batch < 1) args.fail("batch sizes must be >= 1");
  if (m < 0 || n < 0 || k < 0) args.fail("negative matrix dimension");
  s.batch_a = static_cast<size_t>(batch_a);
  s.batch_b = static_cast<size_t>(batch_b);
  s.batch = static_cast<size_t>(batch);
  s.m = static_cast<size_t>(m);
  s.n = static_cast<size_t>(n);
  s.k = static_cast<size_t>(k);
  s.transpose_a = args.boolean_or("transposeA", false);
  s.transpose_b = args.boolean_or("transposeB", false);
  const std::vector<int64_t> out_shape = args.integers("outShape");
  const size_t out_elems = element_count({batch, m, n}, op);
  if (element_count(out_shape, op) != out_elems || out_shape.size() < 2 || out_shape.back() != n ||
      out_shape[out_shape.size() - 2] != m) {
    args.fail("outShape does not match batch x m x n");
  }
  std::vector<DeviceBufferPtr> keep;
  const float* a = args.data<float>("a", element_count({batch_a, m, k}, op), DType::kFloat32, keep);
  const float* b = args.data<float>("b", element_count({batch_b, k, n}, op), DType::kFloat32, keep);
  float* out = args.data<float>("out", out_elems, DType::kFloat32, keep);
  const effnet::cuda::Epilogue ep = read_epilogue(args, out_shape, keep);
  if (out_elems == 0) return info.Env().Undefined();
  effnet::cuda::batch_matmul(s, a, b, out, ep);
  return info.Env().Undefined();
}

Napi::Value BatchMatMul(const Napi::CallbackInfo& info) { return RunMatMul(info, "BatchMatMul"); }
Napi::Value FusedMatMul(const Napi::CallbackInfo& info) { return RunMatMul(info, "_FusedMatMul"); }

Napi::Value RunPool(const Napi::CallbackInfo& info, const char* op, bool is_max) {
  Args args(info, op);
  effnet::cuda::Pool2DShape p;
  p.batch = args.integer("batch");
  p.in_h = args.integer("inH");
  p.in_w = args.integer("inW");
  p.channels = args.integer("channels");
  p.filter_h = args.integer("filterH");
  p.filter_w = args.integer("filterW");
  p.stride_h = args.integer("strideH");
  p.stride_w = args.integer("strideW");
  p.pad_top = args.integer("padTop");
  p.pad_left = args.integer("padLeft");
  p.out_h = args.integer("outH");
  p.out_w = args.integer("outW");
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels}, op);
  std::vector<DeviceBufferPtr> keep;
  const float* x = args.data<float>("x", x_n, DType::kFloat32, keep);
  float* out = args.data<float>("out", o_n, DType::kFloat32, keep);
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
  std::vector<DeviceBufferPtr> keep;
  const int64_t size = args.integer("size");
  if (size < 0) args.fail("negative size");
  const size_t n = static_cast<size_t>(size);
  auto operand = [&](const char* key, const char* size_key) {
    effnet::cuda::CyclicOperand o;
    if (!args.has(key)) return o;
    const int64_t s = args.integer(size_key);
    if (s < 1) args.fail(std::string("'") + key + "' must have at least one value");
    o.size = static_cast<size_t>(s);
    o.data = args.data<float>(key, o.size, DType::kFloat32, keep);
    return o;
  };
  const float* x = args.data<float>("x", n, DType::kFloat32, keep);
  float* out = args.data<float>("out", n, DType::kFloat32, keep);
  const effnet::cuda::CyclicOperand mean = operand("mean", "meanSize");
  const effnet::cuda::CyclicOperand variance = operand("variance", "varianceSize");
  if (mean.data == nullptr || variance.data == nullptr) args.fail("mean and variance are required");
  const effnet::cuda::CyclicOperand offset = operand("offset", "offsetSize");
  const effnet::cuda::CyclicOperand scale = operand("scale", "scaleSize");
  effnet::cuda::batch_norm(x, n, mean, variance, offset, scale, args.number_or("varianceEpsilon", 0.001), out);
  return info.Env().Undefined();
}

Napi::Value ResizeBilinear(const Napi::CallbackInfo& info) {
  const char* op = "ResizeBilinear";
  Args args(info, op);
  effnet::cuda::ResizeShape p;
  p.batch = args.integer("batch");
  p.in_h = args.integer("inH");
  p.in_w = args.integer("inW");
  p.channels = args.integer("channels");
  p.out_h = args.integer("outH");
  p.out_w = args.integer("outW");
  p.align_corners = args.boolean_or("alignCorners", false);
  p.half_pixel_centers = args.boolean_or("halfPixelCenters", false);
  const DType dtype = args.dtype("dtype");
  if (dtype != DType::kFloat32 && dtype != DType::kInt32) args.fail("unsupported images dtype; supported: float32, int32");
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
