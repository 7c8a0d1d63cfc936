// Layout entries: unpack options, check buffers, call the engine's copy ops (cpp/ops/*.cc).
#include <vector>

#include "args.h"
#include "effnet/layout.h"
#include "families.h"
#include "layout_options.h"

namespace binding {
namespace {

using effnet::ConstSpan;
using effnet::DType;
using effnet::MutSpan;
using effnet::StridedLayout;

// {x, out, dtype, shape, xOffset, xStrides[, outOffset, outStrides]}: out[outLayout(i)] = x[xLayout(i)].
Napi::Value StridedCopy(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  const auto o = read_strided_copy<StridedLayout>(args);
  effnet::strided_copy(op, effnet::dtype_size(o.type), o.shape, ConstSpan{o.x->data(), o.x_elements}, o.src,
                       MutSpan{o.out->data(), o.out_elements}, o.dst);
  return info.Env().Undefined();
}

// {inputs: [ids], out, dtype, outer, inner: [...]}: inputs viewed as [outer, inner_i], side by side.
// The engine checks every input's size.
Napi::Value Concat(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  const auto o = read_concat(args, [](const auto&, size_t, const effnet::BufferPtr&, size_t) {});
  std::vector<ConstSpan> inputs;
  for (const effnet::BufferPtr& b : o.inputs) inputs.push_back(ConstSpan{b->data(), b->bytes() / o.elem_size});
  effnet::concat(op, o.elem_size, o.outer, inputs, o.inner, MutSpan{o.out, o.out_elements});
  return info.Env().Undefined();
}

// {x, out, dtype, shape, before, after, value}; the engine checks the paddings and out's size.
Napi::Value PadV2(const Napi::CallbackInfo& info) {
  Args args(info, "PadV2");
  const auto o = read_pad(args);
  size_t out_elements;
  auto out = args.whole_buffer("out", o.type, &out_elements);
  unsigned char value[8];
  element_bytes(args.number("value"), o.type, value);
  effnet::pad("PadV2", effnet::dtype_size(o.type), o.shape, o.before, o.after, value, ConstSpan{o.x, o.in_elements},
              MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

// {x, out, dtype, shape, before, after, offset}
Napi::Value MirrorPad(const Napi::CallbackInfo& info) {
  Args args(info, "MirrorPad");
  const auto o = read_pad(args);
  size_t out_elements;
  auto out = args.whole_buffer("out", o.type, &out_elements);
  effnet::mirror_pad("MirrorPad", effnet::dtype_size(o.type), o.shape, o.before, o.after,
                     static_cast<int>(args.integer("offset")), ConstSpan{o.x, o.in_elements},
                     MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

// {x, indices, out, dtype, batch, outer, dim, slice, count}; the engine checks sizes and indices.
Napi::Value GatherV2(const Napi::CallbackInfo& info) {
  Args args(info, "GatherV2");
  const GatherOptions o = read_gather(args);
  size_t x_elements, idx_elements, out_elements;
  auto x = args.whole_buffer("x", o.type, &x_elements);
  auto idx = args.whole_buffer("indices", DType::kInt32, &idx_elements);
  auto out = args.whole_buffer("out", o.type, &out_elements);
  effnet::gather("GatherV2", effnet::dtype_size(o.type), o.batch, o.outer, o.dim, o.slice, o.count,
                 ConstSpan{x->data(), x_elements}, static_cast<const int32_t*>(idx->data()), idx_elements,
                 MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

// {params, indices, out, dtype, slices, indexRank, sliceSize, strides, rows, paramsShape}
Napi::Value GatherNd(const Napi::CallbackInfo& info) {
  Args args(info, "GatherNd");
  const GatherNdOptions o = read_gather_nd(args);
  size_t p_elements, idx_elements, out_elements;
  auto params = args.whole_buffer("params", o.type, &p_elements);
  auto idx = args.whole_buffer("indices", DType::kInt32, &idx_elements);
  auto out = args.whole_buffer("out", o.type, &out_elements);
  effnet::gather_nd("GatherNd", effnet::dtype_size(o.type), o.slices, o.index_rank, o.slice_size, o.strides, o.rows,
                    o.params_shape, ConstSpan{params->data(), p_elements}, static_cast<const int32_t*>(idx->data()),
                    idx_elements, MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

// {x, out, from, to, size}
Napi::Value Cast(const Napi::CallbackInfo& info) {
  Args args(info, "Cast");
  const auto o = read_cast(args);
  effnet::cast("Cast", o.from, o.to, o.size, o.x, o.out);
  return info.Env().Undefined();
}

// {out, dtype, size, value}
Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args args(info, "Fill");
  const auto o = read_fill(args);
  effnet::fill(MutSpan{o.out, o.size}, effnet::dtype_size(o.type), o.value);
  return info.Env().Undefined();
}

// {indices, out, dtype, count, depth, on, off}; the engine checks out's size.
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  Args args(info, "OneHot");
  const auto o = read_one_hot(args);
  size_t out_elements;
  auto out = args.whole_buffer("out", o.type, &out_elements);
  effnet::one_hot("OneHot", effnet::dtype_size(o.type), o.count, o.depth, o.indices, o.on, o.off,
                  MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

}  // namespace

void init_layout(Napi::Env env, Napi::Object exports) {
  export_entries(env, exports, strided_copy_entries(), StridedCopy);
  export_entries(env, exports, concat_entries(), Concat);
  export_entry(env, exports, "padV2", PadV2);
  export_entry(env, exports, "mirrorPad", MirrorPad);
  export_entry(env, exports, "gatherV2", GatherV2);
  export_entry(env, exports, "gatherNd", GatherNd);
  export_entry(env, exports, "cast", Cast);
  export_entry(env, exports, "fill", Fill);
  export_entry(env, exports, "oneHot", OneHot);
}

}  // namespace binding
