// The options of the element-wise entries (binary with broadcasting, unary, addN, select), read once
// for both addons. `Args` is BasicArgs<Registry> (options.h): each struct holds the buffers it looked
// up, so the pointers in it stay valid while it lives.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace binding {

// binary({op, a, b, out, aShape, bShape, outShape, aDtype, bDtype, outDtype}); a and b broadcast to
// outShape.
template <typename Args>
struct BinaryOptions {
  std::vector<int64_t> a_shape, b_shape, out_shape;
  effnet::DType a_type, b_type, out_type;
  const void* a = nullptr;
  const void* b = nullptr;
  void* out = nullptr;
  BufferList<Args> keep;
};

template <typename Args>
BinaryOptions<Args> read_binary(const Args& args) {
  BinaryOptions<Args> o;
  o.a_shape = args.integers("aShape");
  o.b_shape = args.integers("bShape");
  o.out_shape = args.integers("outShape");
  o.a_type = args.dtype("aDtype");
  o.b_type = args.dtype("bDtype");
  o.out_type = args.dtype("outDtype");
  o.a = args.template data<void>("a", element_count(o.a_shape, args.op()), o.a_type, o.keep);
  o.b = args.template data<void>("b", element_count(o.b_shape, args.op()), o.b_type, o.keep);
  // Every element of the output is written (one thread each on the GPU).
  o.out = args.template output<void>("out", element_count(o.out_shape, args.op()), o.out_type, o.keep);
  return o;
}

// unary({op, x, out, size, xDtype, outDtype, alpha?, beta?}); `Params` is the engine's {alpha, beta}.
template <typename Params, typename Args>
struct UnaryOptions {
  size_t size = 0;
  effnet::DType x_type, out_type;
  const void* x = nullptr;
  void* out = nullptr;
  Params params;
  BufferList<Args> keep;
};

template <typename Params, typename Args>
UnaryOptions<Params, Args> read_unary(const Args& args) {
  UnaryOptions<Params, Args> o;
  o.size = args.size("size");
  o.x_type = args.dtype("xDtype");
  o.out_type = args.dtype("outDtype");
  o.x = args.template data<void>("x", o.size, o.x_type, o.keep);
  o.out = args.template output<void>("out", o.size, o.out_type, o.keep);  // every element written
  o.params.alpha = args.number_or("alpha", 0);
  o.params.beta = args.number_or("beta", 0);
  return o;
}

// addN({inputs: [ids], out, size, dtype}): at least one input of `size` elements.
template <typename Args>
struct AddNOptions {
  size_t size = 0;
  effnet::DType type;
  std::vector<const void*> inputs;
  void* out = nullptr;
  BufferList<Args> keep;
};

template <typename Args>
AddNOptions<Args> read_add_n(const Args& args) {
  AddNOptions<Args> o;
  const std::vector<int64_t> ids = args.integers("inputs");
  if (ids.empty()) args.fail("needs at least one input");
  o.size = args.size("size");
  o.type = args.dtype("dtype");
  const size_t need = o.size * effnet::dtype_size(o.type);
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string name = "inputs[" + std::to_string(i) + "]";
    typename Args::BufferPtr b = args.buffer_at(ids[i], name);
    if (b->bytes() < need) {
      args.fail("buffer " + name + " holds " + std::to_string(b->bytes()) + " bytes but " + std::to_string(need) +
                " are needed");
    }
    o.keep.push_back(b);
    o.inputs.push_back(b->data());
  }
  o.out = args.template data<void>("out", o.size, o.type, o.keep);
  return o;
}

// select({condition, conditionDtype, conditionSize, t, e, tDtype, eDtype, out, outDtype, size}):
// condition has `size` elements or one per row of size / conditionSize.
template <typename Args>
struct SelectOptions {
  size_t condition_size = 0, size = 0;
  effnet::DType condition_type, t_type, e_type, out_type;
  const void* condition = nullptr;
  const void* t = nullptr;
  const void* e = nullptr;
  void* out = nullptr;
  BufferList<Args> keep;
};

template <typename Args>
SelectOptions<Args> read_select(const Args& args) {
  SelectOptions<Args> o;
  o.condition_size = args.size("conditionSize");
  o.size = args.size("size");
  o.condition_type = args.dtype("conditionDtype");
  o.t_type = args.dtype("tDtype");
  o.e_type = args.dtype("eDtype");
  o.out_type = args.dtype("outDtype");
  o.condition = args.template data<void>("condition", o.condition_size, o.condition_type, o.keep);
  o.t = args.template data<void>("t", o.size, o.t_type, o.keep);
  o.e = args.template data<void>("e", o.size, o.e_type, o.keep);
  o.out = args.template data<void>("out", o.size, o.out_type, o.keep);
  return o;
}

}  // namespace binding
