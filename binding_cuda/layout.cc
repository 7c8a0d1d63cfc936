// Layout entries of the CUDA addon (same options as binding/layout.cc): strided copies (Transpose,
// Slice, StridedSlice, Tile, BroadcastTo, Reverse, SplitV, Unpack), Concat/Pack, Cast, Fill, PadV2,
// MirrorPad, GatherV2, GatherNd, OneHot, Select.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "families.h"
#include "registry.h"

namespace cuda_binding {
namespace {

using effnet::DType;
using effnet::cuda::DeviceBufferPtr;

size_t non_negative(const Args& args, const char* key) {
  int64_t v = args.integer(key);
  if (v < 0) args.fail(std::string("option '") + key + "' must be >= 0, got " + std::to_string(v));
  return static_cast<size_t>(v);
}

DeviceBufferPtr whole(const Args& args, const char* key, DType type, size_t* elements) {
  DeviceBufferPtr b = args.buffer(key, 0, type);
  *elements = b->bytes() / effnet::dtype_size(type);
  return b;
}

uint32_t wrap32(double v) {
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<uint32_t>(m);
}

void element_bytes(double v, DType type, unsigned char out[8]) {
  std::memset(out, 0, 8);
  switch (type) {
    case DType::kFloat32: {
      float f = static_cast<float>(v);
      std::memcpy(out, &f, 4);
      return;
    }
    case DType::kInt32: {
      uint32_t u = wrap32(v);
      std::memcpy(out, &u, 4);
      return;
    }
    case DType::kBool: out[0] = static_cast<unsigned char>(wrap32(v) & 0xff); return;
  }
}

std::vector<int64_t> row_major(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t k = shape.size(); k-- > 1;) strides[k - 1] = strides[k] * shape[k];
  return strides;
}

// {x, out, dtype, shape, xOffset, xStrides[, outOffset, outStrides]}
Napi::Value StridedCopy(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  const DType type = args.dtype("dtype");
  const std::vector<int64_t> shape = args.integers("shape");
  element_count(shape, op);
  effnet::cuda::StridedLayout src{args.integer("xOffset"), args.integers("xStrides")};
  effnet::cuda::StridedLayout dst{args.integer_or("outOffset", 0),
                                  args.has("outStrides") ? args.integers("outStrides") : row_major(shape)};
  if (src.strides.size() != shape.size() || dst.strides.size() != shape.size()) {
    args.fail("shape, xStrides and outStrides must have the same length");
  }
  size_t x_elements, out_elements;
  auto x = whole(args, "x", type, &x_elements);
  auto out = whole(args, "out", type, &out_elements);
  effnet::cuda::strided_copy(op, effnet::dtype_size(type), shape, x->data(), x_elements, src, out->data(),
                             out_elements, dst);
  return info.Env().Undefined();
}

Napi::Value Transpose(const Napi::CallbackInfo& info) { return StridedCopy(info, "Transpose"); }
Napi::Value Slice(const Napi::CallbackInfo& info) { return StridedCopy(info, "Slice"); }
Napi::Value StridedSlice(const Napi::CallbackInfo& info) { return StridedCopy(info, "StridedSlice"); }
Napi::Value Tile(const Napi::CallbackInfo& info) { return StridedCopy(info, "Tile"); }
Napi::Value BroadcastTo(const Napi::CallbackInfo& info) { return StridedCopy(info, "BroadcastTo"); }
Napi::Value Reverse(const Napi::CallbackInfo& info) { return StridedCopy(info, "Reverse"); }
Napi::Value SplitV(const Napi::CallbackInfo& info) { return StridedCopy(info, "SplitV"); }
Napi::Value Unpack(const Napi::CallbackInfo& info) { return StridedCopy(info, "Unpack"); }

// {inputs: [ids], out, dtype, outer, inner: [...]}
Napi::Value ConcatEntry(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  const DType type = args.dtype("dtype");
  const size_t esize = effnet::dtype_size(type);
  const size_t outer = non_negative(args, "outer");
  const std::vector<int64_t> ids = args.integers("inputs");
  const std::vector<int64_t> inner_sizes = args.integers("inner");
  if (ids.size() != inner_sizes.size()) args.fail("'inputs' and 'inner' must have the same length");
  std::vector<DeviceBufferPtr> keep;
  std::vector<const void*> inputs;
  std::vector<size_t> inner;
  size_t total = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (inner_sizes[i] < 0) args.fail("'inner' sizes must be >= 0");
    if (ids[i] <= 0 || ids[i] > 0xffffffffLL) args.fail("input " + std::to_string(i) + " is not a buffer id");
    DeviceBufferPtr b;
    try {
      b = registry_get(static_cast<uint32_t>(ids[i]));
    } catch (const effnet::Error& e) {
      args.fail("input " + std::to_string(i) + ": " + e.what());
    }
    size_t need_i;
    if (__builtin_mul_overflow(outer, static_cast<size_t>(inner_sizes[i]), &need_i) || b->bytes() / esize < need_i) {
      args.fail("input " + std::to_string(i) + " holds fewer than outer * inner elements");
    }
    keep.push_back(b);
    inputs.push_back(b->data());
    inner.push_back(static_cast<size_t>(inner_sizes[i]));
    total += inner.back();
  }
  size_t need;
  if (__builtin_mul_overflow(outer, total, &need)) args.fail("output too large");
  void* out = args.data<void>("out", need, type, keep);
  effnet::cuda::concat(esize, outer, inputs, inner, out);
  return info.Env().Undefined();
}

Napi::Value Concat(const Napi::CallbackInfo& info) { return ConcatEntry(info, "Concat"); }
Napi::Value Pack(const Napi::CallbackInfo& info) { return ConcatEntry(info, "Pack"); }

// {x, out, from, to, size}
Napi::Value Cast(const Napi::CallbackInfo& info) {
  Args args(info, "Cast");
  const DType from = args.dtype("from"), to = args.dtype("to");
  const size_t n = non_negative(args, "size");
  std::vector<DeviceBufferPtr> keep;
  const void* x = args.data<void>("x", n, from, keep);
  void* out = args.data<void>("out", n, to, keep);
  effnet::cuda::cast(x, from, out, to, n);
  return info.Env().Undefined();
}

// {out, dtype, size, value}
Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args args(info, "Fill");
  const DType type = args.dtype("dtype");
  const size_t n = non_negative(args, "size");
  std::vector<DeviceBufferPtr> keep;
  void* out = args.data<void>("out", n, type, keep);
  unsigned char value[8];
  element_bytes(args.number("value"), type, value);
  effnet::cuda::fill(out, effnet::dtype_size(type), n, value);
  return info.Env().Undefined();
}

// {x, out, dtype, shape, before, after, value}: fill with value, then copy x inside.
Napi::Value PadV2(const Napi::CallbackInfo& info) {
  Args args(info, "PadV2");
  const DType type = args.dtype("dtype");
  const std::vector<int64_t> shape = args.integers("shape");
  const std::vector<int64_t> before = args.integers("before"), after = args.integers("after");
  if (before.size() != shape.size() || after.size() != shape.size()) args.fail("paddings must have one pair per dimension");
  std::vector<int64_t> out_shape(shape.size());
  for (size_t k = 0; k < shape.size(); ++k) {
    if (before[k] < 0 || after[k] < 0) args.fail("paddings must be >= 0");
    out_shape[k] = shape[k] + before[k] + after[k];
  }
  const size_t in_count = element_count(shape, "PadV2");
  const size_t out_count = element_count(out_shape, "PadV2");
  std::vector<DeviceBufferPtr> keep;
  const void* x = args.data<void>("x", in_count, type, keep);
  void* out = args.data<void>("out", out_count, type, keep);
  unsigned char value[8];
  element_bytes(args.number("value"), type, value);
  effnet::cuda::fill(out, effnet::dtype_size(type), out_count, value);
  effnet::cuda::StridedLayout src{0, row_major(shape)};
  effnet::cuda::StridedLayout dst{0, row_major(out_shape)};
  for (size_t k = 0; k < shape.size(); ++k) dst.offset += before[k] * dst.strides[k];
  effnet::cuda::strided_copy("PadV2", effnet::dtype_size(type), shape, x, in_count, src, out, out_count, dst);
  return info.Env().Undefined();
}

// {x, indices, out, dtype, batch, outer, dim, slice, count}. Indices are checked on the host (one small
// download) so that an index out of range is an Error, as on the CPU.
Napi::Value GatherV2(const Napi::CallbackInfo& info) {
  Args args(info, "GatherV2");
  const DType type = args.dtype("dtype");
  const size_t batch = non_negative(args, "batch"), outer = non_negative(args, "outer");
  const size_t dim = non_negative(args, "dim"), slice = non_negative(args, "slice");
  const size_t count = non_negative(args, "count");
  const size_t src_need = element_count({static_cast<int64_t>(batch), static_cast<int64_t>(outer), static_cast<int64_t>(dim), static_cast<int64_t>(slice)}, "GatherV2");
  const size_t idx_need = element_count({static_cast<int64_t>(batch), static_cast<int64_t>(count)}, "GatherV2");
  const size_t dst_need = element_count({static_cast<int64_t>(batch), static_cast<int64_t>(outer), static_cast<int64_t>(count), static_cast<int64_t>(slice)}, "GatherV2");
  std::vector<DeviceBufferPtr> keep;
  const void* x = args.data<void>("x", src_need, type, keep);
  DeviceBufferPtr idx = args.buffer("indices", idx_need, DType::kInt32);
  void* out = args.data<void>("out", dst_need, type, keep);
  std::vector<int32_t> host(idx_need);
  if (idx_need > 0) effnet::cuda::download(*idx, host.data(), idx_need * sizeof(int32_t));
  for (int32_t v : host) {
    if (v < 0 || static_cast<size_t>(v) >= dim) {
      args.fail("the index value " + std::to_string(v) + " is not in [0, " + std::to_string(static_cast<int64_t>(dim) - 1) + "]");
    }
  }
  effnet::cuda::gather(effnet::dtype_size(type), batch, outer, dim, slice, count, x,
                       static_cast<const int32_t*>(idx->data()), out);
  return info.Env().Undefined();
}

// select({condition, conditionDtype, conditionSize, t, e, tDtype, eDtype, out, outDtype, size})
Napi::Value Select(const Napi::CallbackInfo& info) {
  Args args(info, "Select");
  const int64_t cond_size = args.integer("conditionSize");
  const int64_t size = args.integer("size");
  if (cond_size < 0 || size < 0) args.fail("negative size");
  const DType ct = args.dtype("conditionDtype"), tt = args.dtype("tDtype"), et = args.dtype("eDtype"),
              ot = args.dtype("outDtype");
  std::vector<DeviceBufferPtr> keep;
  const void* c = args.data<void>("condition", static_cast<size_t>(cond_size), ct, keep);
  const void* t = args.data<void>("t", static_cast<size_t>(size), tt, keep);
  const void* e = args.data<void>("e", static_cast<size_t>(size), et, keep);
  void* out = args.data<void>("out", static_cast<size_t>(size), ot, keep);
  effnet::cuda::select(c, ct, static_cast<size_t>(cond_size), t, tt, e, et, out, ot, static_cast<size_t>(size));
  return info.Env().Undefined();
}

// {x, out, dtype, shape, before, after, offset}
Napi::Value MirrorPad(const Napi::CallbackInfo& info) {
  Args args(info, "MirrorPad");
  const DType type = args.dtype("dtype");
  const std::vector<int64_t> shape = args.integers("shape");
  const std::vector<int64_t> before = args.integers("before"), after = args.integers("after");
  if (before.size() != shape.size() || after.size() != shape.size()) args.fail("paddings must have one pair per dimension");
  const int64_t offset = args.integer("offset");
  std::vector<int64_t> out_shape(shape.size());
  for (size_t k = 0; k < shape.size(); ++k) {
    if (before[k] < 0 || after[k] < 0) args.fail("paddings must be >= 0");
    out_shape[k] = shape[k] + before[k] + after[k];
  }
  std::vector<DeviceBufferPtr> keep;
  const void* x = args.data<void>("x", element_count(shape, "MirrorPad"), type, keep);
  void* out = args.data<void>("out", element_count(out_shape, "MirrorPad"), type, keep);
  effnet::cuda::mirror_pad(effnet::dtype_size(type), shape, before, after, static_cast<int>(offset), x, out);
  return info.Env().Undefined();
}

// {params, indices, out, dtype, slices, indexRank, sliceSize, strides, rows, paramsShape}: the rows are
// computed and checked on the host (one download of the indices), then gathered on the device.
Napi::Value GatherNd(const Napi::CallbackInfo& info) {
  Args args(info, "GatherNd");
  const DType type = args.dtype("dtype");
  const size_t slices = non_negative(args, "slices"), index_rank = non_negative(args, "indexRank");
  const size_t slice_size = non_negative(args, "sliceSize"), rows = non_negative(args, "rows");
  const std::vector<int64_t> strides = args.integers("strides");
  const std::vector<int64_t> params_shape = args.integers("paramsShape");
  if (strides.size() != index_rank) args.fail("one stride per index component is needed");
  if (rows > 0x7fffffffu) args.fail("more than 2^31 - 1 rows");
  const auto n64 = [](size_t v) { return static_cast<int64_t>(v); };
  std::vector<DeviceBufferPtr> keep;
  const void* params = args.data<void>("params", element_count({n64(rows), n64(slice_size)}, "GatherNd"), type, keep);
  DeviceBufferPtr idx = args.buffer("indices", element_count({n64(slices), n64(index_rank)}, "GatherNd"), DType::kInt32);
  void* out = args.data<void>("out", element_count({n64(slices), n64(slice_size)}, "GatherNd"), type, keep);
  std::vector<int32_t> host(slices * index_rank);
  if (!host.empty()) effnet::cuda::download(*idx, host.data(), host.size() * sizeof(int32_t));
  std::vector<int32_t> row(slices);
  for (size_t i = 0; i < slices; ++i) {
    int64_t flat = 0;
    bool overflow = false;
    for (size_t j = 0; j < index_rank; ++j) {
      int64_t term;
      overflow |= __builtin_mul_overflow(static_cast<int64_t>(host[i * index_rank + j]), strides[j], &term);
      overflow |= __builtin_add_overflow(flat, term, &flat);
    }
    if (overflow || flat < 0 || static_cast<uint64_t>(flat) >= rows) {
      std::string index = "[", shape = "[";
      for (size_t j = 0; j < index_rank; ++j) index += (j ? "," : "") + std::to_string(host[i * index_rank + j]);
      for (size_t j = 0; j < params_shape.size(); ++j) shape += (j ? "," : "") + std::to_string(params_shape[j]);
      args.fail("invalid indices: " + index + "] does not index into " + shape + "]");
    }
    row[i] = static_cast<int32_t>(flat);
  }
  if (slices == 0 || slice_size == 0) return info.Env().Undefined();
  auto rows_dev = std::make_shared<effnet::cuda::DeviceBuffer>(slices * sizeof(int32_t));
  effnet::cuda::upload(*rows_dev, row.data(), slices * sizeof(int32_t));
  effnet::cuda::gather(effnet::dtype_size(type), 1, 1, rows, slice_size, slices, params,
                       static_cast<const int32_t*>(rows_dev->data()), out);
  return info.Env().Undefined();
}

// {indices, out, dtype, count, depth, on, off}
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  Args args(info, "OneHot");
  const DType type = args.dtype("dtype");
  const size_t count = non_negative(args, "count"), depth = non_negative(args, "depth");
  std::vector<DeviceBufferPtr> keep;
  const int32_t* indices = args.data<int32_t>("indices", count, DType::kInt32, keep);
  void* out = args.data<void>("out", element_count({static_cast<int64_t>(count), static_cast<int64_t>(depth)}, "OneHot"), type, keep);
  unsigned char on[8], off[8];
  element_bytes(args.number("on"), type, on);
  element_bytes(args.number("off"), type, off);
  effnet::cuda::one_hot(effnet::dtype_size(type), count, depth, indices, on, off, out);
  return info.Env().Undefined();
}

}  // namespace

void init_layout(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "transpose", Transpose);
  export_entry(env, exports, "slice", Slice);
  export_entry(env, exports, "stridedSlice", StridedSlice);
  export_entry(env, exports, "tile", Tile);
  export_entry(env, exports, "broadcastTo", BroadcastTo);
  export_entry(env, exports, "reverse", Reverse);
  export_entry(env, exports, "splitV", SplitV);
  export_entry(env, exports, "unpack", Unpack);
  export_entry(env, exports, "concat", Concat);
  export_entry(env, exports, "pack", Pack);
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
