// Reduction entries of the CUDA addon (same options as binding/reduce.cc): reduce (Sum, Mean, Max,
// Min, Prod, All, Any), argReduce (ArgMax, ArgMin), softmax.
#include <string>
#include <vector>

#include "args.h"
#include "families.h"
#include "registry.h"

namespace cuda_binding {
namespace {

using effnet::cuda::DeviceBufferPtr;

// reduce({op, x, out, shape, axes, xDtype, outDtype}); axes in [0, rank).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const std::string kernel = Args(info, "reduce").string("op");
  Args args(info, kernel.c_str());
  if (!effnet::cuda::is_reduce_op(kernel)) args.fail("no CUDA implementation of this reduction");
  const effnet::cuda::Shape shape = args.integers("shape");
  const std::vector<int64_t> axes = args.integers("axes");
  const effnet::DType xt = args.dtype("xDtype"), ot = args.dtype("outDtype");
  size_t out_size = 1;
  std::vector<bool> reduced(shape.size(), false);
  for (int64_t a : axes) {
    if (a < 0 || static_cast<size_t>(a) >= shape.size()) args.fail("axis " + std::to_string(a) + " is out of range");
    reduced[static_cast<size_t>(a)] = true;
  }
  const size_t x_size = element_count(shape, args.op());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!reduced[i]) out_size *= static_cast<size_t>(shape[i]);
  }
  std::vector<DeviceBufferPtr> keep;
  const void* x = args.data<void>("x", x_size, xt, keep);
  void* out = args.data<void>("out", out_size, ot, keep);
  effnet::cuda::reduce(kernel, x, xt, shape, axes, out, ot);
  return info.Env().Undefined();
}

// argReduce({op: 'ArgMax' | 'ArgMin', x, out, shape, axis, xDtype}); out is int32.
Napi::Value ArgReduce(const Napi::CallbackInfo& info) {
  const std::string kernel = Args(info, "argReduce").string("op");
  Args args(info, kernel.c_str());
  if (kernel != "ArgMax" && kernel != "ArgMin") args.fail("not an arg-reduction of the CUDA engine");
  const effnet::cuda::Shape shape = args.integers("shape");
  const int64_t axis = args.integer("axis");
  if (axis < 0 || static_cast<size_t>(axis) >= shape.size()) args.fail("axis " + std::to_string(axis) + " is out of range");
  const effnet::DType xt = args.dtype("xDtype");
  const size_t x_size = element_count(shape, args.op());
  const size_t r = static_cast<size_t>(shape[static_cast<size_t>(axis)]);
  size_t out_size = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i != static_cast<size_t>(axis)) out_size *= static_cast<size_t>(shape[i]);
  }
  if (r == 0 && x_size == 0 && out_size == 0) return info.Env().Undefined();
  std::vector<DeviceBufferPtr> keep;
  const void* x = args.data<void>("x", x_size, xt, keep);
  int32_t* out = args.data<int32_t>("out", out_size, effnet::DType::kInt32, keep);
  effnet::cuda::arg_reduce(kernel == "ArgMax", x, xt, shape, axis, out);
  return info.Env().Undefined();
}

// softmax({logits, out, rows, cols}); float32, over the last axis.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args args(info, "Softmax");
  const int64_t rows = args.integer("rows");
  const int64_t cols = args.integer("cols");
  if (rows < 0 || cols < 0) args.fail("negative size");
  const size_t n = element_count({rows, cols}, args.op());
  std::vector<DeviceBufferPtr> keep;
  const float* x = args.data<float>("logits", n, effnet::DType::kFloat32, keep);
  float* y = args.data<float>("out", n, effnet::DType::kFloat32, keep);
  effnet::cuda::softmax(x, y, static_cast<size_t>(rows), static_cast<size_t>(cols));
  return info.Env().Undefined();
}

}  // namespace

void init_reduce(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "reduce", Reduce);
  export_entry(env, exports, "argReduce", ArgReduce);
  export_entry(env, exports, "softmax", Softmax);
}

}  // namespace cuda_binding
