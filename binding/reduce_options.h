// The options of the reduction entries (reduce, argReduce, softmax), read once for both addons.
// `Args` is BasicArgs<Registry> (options.h): each struct holds the buffers it looked up, so the
// pointers in it stay valid while it lives.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace binding {

// reduce({op, x, out, shape, axes, xDtype, outDtype}); axes in [0, rank), out holds the product of the
// dims not reduced.
template <typename Args>
struct ReduceOptions {
  std::vector<int64_t> shape, axes;
  effnet::DType x_type, out_type;
  const void* x = nullptr;
  void* out = nullptr;
  BufferList<Args> keep;
};

template <typename Args>
ReduceOptions<Args> read_reduce(const Args& args) {
  ReduceOptions<Args> o;
  o.shape = args.integers("shape");
  o.axes = args.integers("axes");
  o.x_type = args.dtype("xDtype");
  o.out_type = args.dtype("outDtype");
  size_t out_size = 1;
  std::vector<bool> reduced(o.shape.size(), false);
  for (int64_t a : o.axes) {
    if (a < 0 || static_cast<size_t>(a) >= o.shape.size()) args.fail("axis " + std::to_string(a) + " is out of range");
    reduced[static_cast<size_t>(a)] = true;
  }
  const size_t x_size = element_count(o.shape, args.op());
  for (size_t i = 0; i < o.shape.size(); ++i) {
    if (!reduced[i]) out_size *= static_cast<size_t>(o.shape[i]);
  }
  o.x = args.template data<void>("x", x_size, o.x_type, o.keep);
  o.out = args.template data<void>("out", out_size, o.out_type, o.keep);
  return o;
}

// argReduce({op: 'ArgMax' | 'ArgMin', x, out, shape, axis, xDtype}); out is int32 with one element per
// position of the other dims.
template <typename Args>
struct ArgReduceOptions {
  std::vector<int64_t> shape;
  int64_t axis = 0;
  effnet::DType x_type;
  size_t x_size = 0;
  size_t axis_size = 0;  // shape[axis]
  size_t out_size = 0;   // product of the other dims
  const void* x = nullptr;
  int32_t* out = nullptr;
  BufferList<Args> keep;
};

// Reads the options; the buffers follow with read_arg_reduce_buffers.
template <typename Args>
ArgReduceOptions<Args> read_arg_reduce(const Args& args) {
  ArgReduceOptions<Args> o;
  o.shape = args.integers("shape");
  o.axis = args.integer("axis");
  if (o.axis < 0 || static_cast<size_t>(o.axis) >= o.shape.size()) {
    args.fail("axis " + std::to_string(o.axis) + " is out of range");
  }
  o.x_type = args.dtype("xDtype");
  o.x_size = element_count(o.shape, args.op());
  o.axis_size = static_cast<size_t>(o.shape[static_cast<size_t>(o.axis)]);
  o.out_size = 1;
  for (size_t i = 0; i < o.shape.size(); ++i) {
    if (i != static_cast<size_t>(o.axis)) o.out_size *= static_cast<size_t>(o.shape[i]);
  }
  return o;
}

template <typename Args>
void read_arg_reduce_buffers(const Args& args, ArgReduceOptions<Args>& o) {
  o.x = args.template data<void>("x", o.x_size, o.x_type, o.keep);
  o.out = args.template data<int32_t>("out", o.out_size, effnet::DType::kInt32, o.keep);
}

// softmax({logits, out, rows, cols}); float32, over the last axis.
template <typename Args>
struct SoftmaxOptions {
  size_t rows = 0, cols = 0;
  const float* x = nullptr;
  float* y = nullptr;
  BufferList<Args> keep;
};

template <typename Args>
SoftmaxOptions<Args> read_softmax(const Args& args) {
  SoftmaxOptions<Args> o;
  o.rows = args.size("rows");
  o.cols = args.size("cols");
  size_t n;
  if (__builtin_mul_overflow(o.rows, o.cols, &n)) args.fail("shape too large");
  o.x = args.template data<float>("logits", n, effnet::DType::kFloat32, o.keep);
  o.y = args.template data<float>("out", n, effnet::DType::kFloat32, o.keep);
  return o;
}

}  // namespace binding
