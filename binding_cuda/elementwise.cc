// Element-wise entries of the CUDA addon: binary (broadcasting), unary, addN. Same options as the CPU
// addon's binding/elementwise.cc.
#include <string>

#include "args.h"
#include "elementwise_options.h"
#include "families.h"

namespace cuda_binding {
namespace {

// binary({op, a, b, out, aShape, bShape, outShape, aDtype, bDtype, outDtype})
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const std::string kernel = binding::kernel_option(info, "binary");
  Args args(info, kernel.c_str());
  if (!effnet::cuda::is_binary_op(kernel)) args.fail("no CUDA implementation of this binary op");
  const auto o = binding::read_binary(args);
  effnet::cuda::binary(kernel, o.a, o.a_type, o.a_shape, o.b, o.b_type, o.b_shape, o.out, o.out_type, o.out_shape);
  return info.Env().Undefined();
}

// unary({op, x, out, size, xDtype, outDtype, alpha?, beta?})
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const std::string kernel = binding::kernel_option(info, "unary");
  Args args(info, kernel.c_str());
  if (!effnet::cuda::is_unary_op(kernel)) args.fail("no CUDA implementation of this unary op");
  const auto o = binding::read_unary<effnet::cuda::UnaryParams>(args);
  effnet::cuda::unary(kernel, o.x, o.x_type, o.out, o.out_type, o.size, o.params);
  return info.Env().Undefined();
}

// addN({inputs: [ids], out, size, dtype})
Napi::Value AddN(const Napi::CallbackInfo& info) {
  Args args(info, "AddN");
  const auto o = binding::read_add_n(args);
  effnet::cuda::add_n(o.inputs, o.type, o.out, o.size);
  return info.Env().Undefined();
}

}  // namespace

void init_elementwise(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "binary", Binary);
  export_entry(env, exports, "unary", Unary);
  export_entry(env, exports, "addN", AddN);
}

}  // namespace cuda_binding
