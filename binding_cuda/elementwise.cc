// Element-wise entries of the CUDA addon: binary (broadcasting), unary, addN. Same options as the CPU
// addon's binding/elementwise.cc.
#include <string>
#include <vector>

#include "args.h"
#include "families.h"
#include "registry.h"

namespace cuda_binding {
namespace {

using effnet::cuda::DeviceBufferPtr;

// binary({op, a, b, out, aShape, bShape, outShape, aDtype, bDtype, outDtype})
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const std::string kernel = Args(info, "binary").string("op");
  Args args(info, kernel.c_str());
  if (!effnet::cuda::is_binary_op(kernel)) args.fail("no CUDA implementation of this binary op");
  const effnet::cuda::Shape a_shape = args.integers("aShape");
  const effnet::cuda::Shape b_shape = args.integers("bShape");
  const effnet::cuda::Shape out_shape = args.integers("outShape");
  const effnet::DType at = args.dtype("aDtype"), bt = args.dtype("bDtype"), ot = args.dtype("outDtype");
  std::vector<DeviceBufferPtr> keep;
  const void* a = args.data<void>("a", element_count(a_shape, args.op()), at, keep);
  const void* b = args.data<void>("b", element_count(b_shape, args.op()), bt, keep);
  void* out = args.data<void>("out", element_count(out_shape, args.op()), ot, keep);
  effnet::cuda::binary(kernel, a, at, a_shape, b, bt, b_shape, out, ot, out_shape);
  return info.Env().Undefined();
}

// unary({op, x, out, size, xDtype, outDtype, alpha?, beta?})
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const std::string kernel = Args(info, "unary").string("op");
  Args args(info, kernel.c_str());
  if (!effnet::cuda::is_unary_op(kernel)) args.fail("no CUDA implementation of this unary op");
  const int64_t size = args.integer("size");
  if (size < 0) args.fail("negative size");
  const effnet::DType xt = args.dtype("xDtype"), ot = args.dtype("outDtype");
  std::vector<DeviceBufferPtr> keep;
  const void* x = args.data<void>("x", static_cast<size_t>(size), xt, keep);
  void* out = args.data<void>("out", static_cast<size_t>(size), ot, keep);
  effnet::cuda::UnaryParams params;
  params.alpha = args.number_or("alpha", 0);
  params.beta = args.number_or("beta", 0);
  effnet::cuda::unary(kernel, x, xt, out, ot, static_cast<size_t>(size), params);
  return info.Env().Undefined();
}

// addN({inputs: [ids], out, size, dtype})
Napi::Value AddN(const Napi::CallbackInfo& info) {
  Args args(info, "AddN");
  const std::vector<int64_t> ids = args.integers("inputs");
  if (ids.empty()) args.fail("needs at least one input");
  const int64_t size = args.integer("size");
  if (size < 0) args.fail("negative size");
  const effnet::DType type = args.dtype("dtype");
  std::vector<DeviceBufferPtr> keep;
  std::vector<const void*> inputs;
  const size_t need = static_cast<size_t>(size) * effnet::dtype_size(type);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] <= 0 || ids[i] > 0xffffffffLL) args.fail("inputs[" + std::to_string(i) + "] is not a buffer id");
    DeviceBufferPtr b;
    try {
      b = registry_get(static_cast<uint32_t>(ids[i]));
    } catch (const effnet::Error& e) {
      args.fail("inputs[" + std::to_string(i) + "]: " + e.what());
    }
    if (b->bytes() < need) {
      args.fail("buffer inputs[" + std::to_string(i) + "] holds " + std::to_string(b->bytes()) + " bytes but " +
                std::to_string(need) + " are needed");
    }
    keep.push_back(b);
    inputs.push_back(b->data());
  }
  void* out = args.data<void>("out", static_cast<size_t>(size), type, keep);
  effnet::cuda::add_n(inputs, type, out, static_cast<size_t>(size));
  return info.Env().Undefined();
}

}  // namespace

void init_elementwise(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "binary", Binary);
  export_entry(env, exports, "unary", Unary);
  export_entry(env, exports, "addN", AddN);
}

}  // namespace cuda_binding
