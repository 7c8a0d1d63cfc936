// Entries of the element-wise family: binary (broadcasting), unary, addN, select.
#include <string>

#include "args.h"
#include "effnet/elementwise.h"
#include "elementwise_options.h"
#include "families.h"

namespace binding {
namespace {

// binary({op, a, b, out, aShape, bShape, outShape, aDtype, bDtype, outDtype})
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const std::string kernel = kernel_option(info, "binary");
  Args args(info, kernel.c_str());
  effnet::BinaryOp op;
  if (!effnet::binary_op_from_name(kernel, &op)) args.fail("not a binary op of the native engine");
  const auto o = read_binary(args);
  effnet::binary(op, o.a, o.a_type, o.a_shape, o.b, o.b_type, o.b_shape, o.out, o.out_type, o.out_shape);
  return info.Env().Undefined();
}

// unary({op, x, out, size, xDtype, outDtype, alpha?, beta?})
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const std::string kernel = kernel_option(info, "unary");
  Args args(info, kernel.c_str());
  effnet::UnaryOp op;
  if (!effnet::unary_op_from_name(kernel, &op)) args.fail("not a unary op of the native engine");
  const auto o = read_unary<effnet::UnaryParams>(args);
  effnet::unary(op, o.x, o.x_type, o.out, o.out_type, o.size, o.params);
  return info.Env().Undefined();
}

// addN({inputs: [ids], out, size, dtype})
Napi::Value AddN(const Napi::CallbackInfo& info) {
  Args args(info, "AddN");
  const auto o = read_add_n(args);
  effnet::add_n(o.inputs, o.type, o.out, o.size);
  return info.Env().Undefined();
}

// select({condition, conditionDtype, conditionSize, t, e, tDtype, eDtype, out, outDtype, size})
Napi::Value Select(const Napi::CallbackInfo& info) {
  Args args(info, "Select");
  const auto o = read_select(args);
  effnet::select(o.condition, o.condition_type, o.condition_size, o.t, o.t_type, o.e, o.e_type, o.out, o.out_type,
                 o.size);
  return info.Env().Undefined();
}

}  // namespace

void init_elementwise(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "binary", Binary);
  export_entry(env, exports, "unary", Unary);
  export_entry(env, exports, "addN", AddN);
  export_entry(env, exports, "select", Select);
}

}  // namespace binding
