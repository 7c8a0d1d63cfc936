// Entries of the element-wise family: binary (broadcasting), unary, addN, select.
#include <string>
#include <vector>

#include "args.h"
#include "effnet/elementwise.h"
#include "families.h"
#include "registry.h"

namespace binding {
namespace {

// binary({op, a, b, out, aShape, bShape, outShape, aDtype, bDtype, outDtype})
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const std::string kernel = Args(info, "binary").string("op");
  Args args(info, kernel.c_str());
  effnet::BinaryOp op;
  if (!effnet::binary_op_from_name(kernel, &op)) args.fail("not a binary op of the native engine");
  const effnet::Shape a_shape = args.integers("aShape");
  const effnet::Shape b_shape = args.integers("bShape");
  const effnet::Shape out_shape = args.integers("outShape");
  const effnet::DType at = args.dtype("aDtype"), bt = args.dtype("bDtype"), ot = args.dtype("outDtype");
  std::vector<effnet::BufferPtr> keep;
  const void* a = args.data<void>("a", element_count(a_shape, args.op()), at, keep);
  const void* b = args.data<void>("b", element_count(b_shape, args.op()), bt, keep);
  void* out = args.data<void>("out", element_count(out_shape, args.op()), ot, keep);
  effnet::binary(op, a, at, a_shape, b, bt, b_shape, out, ot, out_shape);
  return info.Env().Undefined();
}

// unary({op, x, out, size, xDtype, outDtype, alpha?, beta?})
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const std::string kernel = Args(info, "unary").string("op");
  Args args(info, kernel.c_str());
  effnet::UnaryOp op;
  if (!effnet::unary_op_from_name(kernel, &op)) args.fail("not a unary op of the native engine");
  const int64_t size = args.integer("size");
  if (size < 0) args.fail("negative size");
  const effnet::DType xt = args.dtype("xDtype"), ot = args.dtype("outDtype");
  std::vector<effnet::BufferPtr> keep;
  const void* x = args.data<void>("x", static_cast<size_t>(size), xt, keep);
  void* out = args.data<void>("out", static_cast<size_t>(size), ot, keep);
  effnet::UnaryParams params;
  params.alpha = args.number_or("alpha", 0);
  params.beta = args.number_or("beta", 0);
  effnet::unary(op, x, xt, out, ot, static_cast<size_t>(size), params);
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
  std::vector<effnet::BufferPtr> keep;
  std::vector<const void*> inputs;
  const size_t need = static_cast<size_t>(size) * effnet::dtype_size(type);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] <= 0 || ids[i] > 0xffffffffLL) args.fail("inputs[" + std::to_string(i) + "] is not a buffer id");
    effnet::BufferPtr b;
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
  effnet::add_n(inputs, type, out, static_cast<size_t>(size));
  return info.Env().Undefined();
}

// select({condition, conditionDtype, conditionSize, t, e, tDtype, eDtype, out, outDtype, size})
Napi::Value Select(const Napi::CallbackInfo& info) {
  Args args(info, "Select");
  const int64_t cond_size = args.integer("conditionSize");
  const int64_t size = args.integer("size");
  if (cond_size < 0 || size < 0) args.fail("negative size");
  const effnet::DType ct = args.dtype("conditionDtype"), tt = args.dtype("tDtype"), et = args.dtype("eDtype"),
                      ot = args.dtype("outDtype");
  std::vector<effnet::BufferPtr> keep;
  const void* c = args.data<void>("condition", static_cast<size_t>(cond_size), ct, keep);
  const void* t = args.data<void>("t", static_cast<size_t>(size), tt, keep);
  const void* e = args.data<void>("e", static_cast<size_t>(size), et, keep);
  void* out = args.data<void>("out", static_cast<size_t>(size), ot, keep);
  effnet::select(c, ct, static_cast<size_t>(cond_size), t, tt, e, et, out, ot, static_cast<size_t>(size));
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
