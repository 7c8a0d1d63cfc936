// Layout entries of the CUDA addon (same options as binding/layout.cc): strided copies (Transpose,
// Slice, StridedSlice, Tile, BroadcastTo, Reverse, SplitV, Unpack), Concat/Pack, Cast, Fill, PadV2,
// MirrorPad, GatherV2, GatherNd, OneHot, Select.
#include <string>
#include <vector>

#include "args.h"
#include "elementwise_options.h"
#include "families.h"
#include "layout_options.h"

namespace cuda_binding {
namespace {

using binding::GatherNdOptions;
using binding::GatherOptions;
using effnet::DType;
using effnet::cuda::DeviceBufferPtr;

// {x, out, dtype, shape, xOffset, xStrides[, outOffset, outStrides]}
Napi::Value StridedCopy(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  const auto o = binding::read_strided_copy<effnet::cuda::StridedLayout>(args);
  effnet::cuda::strided_copy(op, effnet::dtype_size(o.type), o.shape, o.x->data(), o.x_elements, o.src,
                             o.out->data(), o.out_elements, o.dst);
  return info.Env().Undefined();
}

// {inputs: [ids], out, dtype, outer, inner: [...]}; each input is checked to hold outer * inner_i
// elements here (the kernel does not check).
Napi::Value Concat(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  const auto o = binding::read_concat(args, [&](const auto& c, size_t i, const DeviceBufferPtr& b, size_t inner) {
    size_t need;
    if (__builtin_mul_overflow(c.outer, inner, &need) || b->bytes() / c.elem_size < need) {
      args.fail("input " + std::to_string(i) + " holds fewer than outer * inner elements");
    }
  });
  std::vector<const void*> inputs;
  for (const DeviceBufferPtr& b : o.inputs) inputs.push_back(b->data());
  effnet::cuda::concat(o.elem_size, o.outer, inputs, o.inner, o.out);
  return info.Env().Undefined();
}

// {x, out, from, to, size}
Napi::Value Cast(const Napi::CallbackInfo& info) {
  Args args(info, "Cast");
  const auto o = binding::read_cast(args);
  effnet::cuda::cast(o.x, o.from, o.out, o.to, o.size);
  return info.Env().Undefined();
}

// {out, dtype, size, value}
Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args args(info, "Fill");
  const auto o = binding::read_fill(args);
  effnet::cuda::fill(o.out, effnet::dtype_size(o.type), o.size, o.value);
  return info.Env().Undefined();
}

// {x, out, dtype, shape, before, after, value}: fill with value, then copy x inside.
Napi::Value PadV2(const Napi::CallbackInfo& info) {
  Args args(info, "PadV2");
  auto o = binding::read_pad(args);
  const std::vector<int64_t> out_shape = binding::padded_shape(args, o.shape, o.before, o.after);
  const size_t out_count = element_count(out_shape, "PadV2");
  void* out = args.data<void>("out", out_count, o.type, o.keep);
  unsigned char value[8];
  binding::element_bytes(args.number("value"), o.type, value);
  effnet::cuda::fill(out, effnet::dtype_size(o.type), out_count, value);
  effnet::cuda::StridedLayout src{0, binding::row_major(o.shape)};
  effnet::cuda::StridedLayout dst{0, binding::row_major(out_shape)};
  for (size_t k = 0; k < o.shape.size(); ++k) dst.offset += o.before[k] * dst.strides[k];
  effnet::cuda::strided_copy("PadV2", effnet::dtype_size(o.type), o.shape, o.x, o.in_elements, src, out, out_count,
                             dst);
  return info.Env().Undefined();
}

// {x, indices, out, dtype, batch, outer, dim, slice, count}. Indices are checked on the host (one small
// download) so that an index out of range is an Error, as on the CPU.
Napi::Value GatherV2(const Napi::CallbackInfo& info) {
  Args args(info, "GatherV2");
  const GatherOptions o = binding::read_gather(args);
  const auto n64 = [](size_t v) { return static_cast<int64_t>(v); };
  const size_t src_need = element_count({n64(o.batch), n64(o.outer), n64(o.dim), n64(o.slice)}, "GatherV2");
  const size_t idx_need = element_count({n64(o.batch), n64(o.count)}, "GatherV2");
  const size_t dst_need = element_count({n64(o.batch), n64(o.outer), n64(o.count), n64(o.slice)}, "GatherV2");
  std::vector<DeviceBufferPtr> keep;
  const void* x = args.data<void>("x", src_need, o.type, keep);
  DeviceBufferPtr idx = args.buffer("indices", idx_need, DType::kInt32);
  void* out = args.data<void>("out", dst_need, o.type, keep);
  std::vector<int32_t> host(idx_need);
  if (idx_need > 0) effnet::cuda::download(*idx, host.data(), idx_need * sizeof(int32_t));
  for (int32_t v : host) {
    if (v < 0 || static_cast<size_t>(v) >= o.dim) {
      args.fail("the index value " + std::to_string(v) + " is not in [0, " + std::to_string(n64(o.dim) - 1) + "]");
    }
  }
  effnet::cuda::gather(effnet::dtype_size(o.type), o.batch, o.outer, o.dim, o.slice, o.count, x,
                       static_cast<const int32_t*>(idx->data()), out);
  return info.Env().Undefined();
}

// select({condition, conditionDtype, conditionSize, t, e, tDtype, eDtype, out, outDtype, size})
Napi::Value Select(const Napi::CallbackInfo& info) {
  Args args(info, "Select");
  const auto o = binding::read_select(args);
  effnet::cuda::select(o.condition, o.condition_type, o.condition_size, o.t, o.t_type, o.e, o.e_type, o.out,
                       o.out_type, o.size);
  return info.Env().Undefined();
}

// {x, out, dtype, shape, before, after, offset}
Napi::Value MirrorPad(const Napi::CallbackInfo& info) {
  Args args(info, "MirrorPad");
  auto o = binding::read_pad(args);
  const std::vector<int64_t> out_shape = binding::padded_shape(args, o.shape, o.before, o.after);
  const int64_t offset = args.integer("offset");
  void* out = args.data<void>("out", element_count(out_shape, "MirrorPad"), o.type, o.keep);
  effnet::cuda::mirror_pad(effnet::dtype_size(o.type), o.shape, o.before, o.after, static_cast<int>(offset), o.x, out);
  return info.Env().Undefined();
}

// {params, indices, out, dtype, slices, indexRank, sliceSize, strides, rows, paramsShape}: the rows are
// computed and checked on the host (one download of the indices), then gathered on the device.
Napi::Value GatherNd(const Napi::CallbackInfo& info) {
  Args args(info, "GatherNd");
  const GatherNdOptions o = binding::read_gather_nd(args);
  const size_t slices = o.slices, index_rank = o.index_rank, slice_size = o.slice_size, rows = o.rows;
  if (o.strides.size() != index_rank) args.fail("one stride per index component is needed");
  if (rows > 0x7fffffffu) args.fail("more than 2^31 - 1 rows");
  const auto n64 = [](size_t v) { return static_cast<int64_t>(v); };
  std::vector<DeviceBufferPtr> keep;
  const void* params = args.data<void>("params", element_count({n64(rows), n64(slice_size)}, "GatherNd"), o.type, keep);
  DeviceBufferPtr idx = args.buffer("indices", element_count({n64(slices), n64(index_rank)}, "GatherNd"), DType::kInt32);
  void* out = args.data<void>("out", element_count({n64(slices), n64(slice_size)}, "GatherNd"), o.type, keep);
  std::vector<int32_t> host(slices * index_rank);
  if (!host.empty()) effnet::cuda::download(*idx, host.data(), host.size() * sizeof(int32_t));
  std::vector<int32_t> row(slices);
  for (size_t i = 0; i < slices; ++i) {
    int64_t flat = 0;
    bool overflow = false;
    for (size_t j = 0; j < index_rank; ++j) {
      int64_t term;
      overflow |= __builtin_mul_overflow(static_cast<int64_t>(host[i * index_rank + j]), o.strides[j], &term);
      overflow |= __builtin_add_overflow(flat, term, &flat);
    }
    if (overflow || flat < 0 || static_cast<uint64_t>(flat) >= rows) {
      std::string index = "[", shape = "[";
      for (size_t j = 0; j < index_rank; ++j) index += (j ? "," : "") + std::to_string(host[i * index_rank + j]);
      for (size_t j = 0; j < o.params_shape.size(); ++j) shape += (j ? "," : "") + std::to_string(o.params_shape[j]);
      args.fail("invalid indices: " + index + "] does not index into " + shape + "]");
    }
    row[i] = static_cast<int32_t>(flat);
  }
  if (slices == 0 || slice_size == 0) return info.Env().Undefined();
  auto rows_dev = std::make_shared<effnet::cuda::DeviceBuffer>(slices * sizeof(int32_t));
  effnet::cuda::upload(*rows_dev, row.data(), slices * sizeof(int32_t));
  effnet::cuda::gather(effnet::dtype_size(o.type), 1, 1, rows, slice_size, slices, params,
                       static_cast<const int32_t*>(rows_dev->data()), out);
  return info.Env().Undefined();
}

// {indices, out, dtype, count, depth, on, off}
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  Args args(info, "OneHot");
  auto o = binding::read_one_hot(args);
  const auto n64 = [](size_t v) { return static_cast<int64_t>(v); };
  void* out = args.data<void>("out", element_count({n64(o.count), n64(o.depth)}, "OneHot"), o.type, o.keep);
  effnet::cuda::one_hot(effnet::dtype_size(o.type), o.count, o.depth, o.indices, o.on, o.off, out);
  return info.Env().Undefined();
}

}  // namespace

void init_layout(Napi::Env env, Napi::Object exports) {
  export_entries(env, exports, binding::strided_copy_entries(), StridedCopy);
  export_entries(env, exports, binding::concat_entries(), Concat);
  export_entry(env, exports, "cast", Cast);
  export_entry(env, exports, "fill", Fill);
  export_entry(env, exports, "padV2", PadV2);
  export_entry(env, exports, "gatherV2", GatherV2);
  export_entry(env, exports, "select", Select);
  export_entry(env, exports, "mirrorPad", MirrorPad);
  export_entry(env, exports, "gatherNd", GatherNd);
  export_entry(env, exports, "oneHot", OneHot);
}

}  // namespace cuda_binding
