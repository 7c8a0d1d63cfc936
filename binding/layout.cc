// Layout entries: unpack options, check buffers, call the engine's copy ops (cpp/ops/*.cc).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "effnet/layout.h"
#include "families.h"
#include "registry.h"

namespace binding {
namespace {

using effnet::ConstSpan;
using effnet::DType;
using effnet::MutSpan;
using effnet::StridedLayout;

size_t non_negative(const Args& args, const char* key) {
  int64_t v = args.integer(key);
  if (v < 0) args.fail(std::string("option '") + key + "' must be >= 0, got " + std::to_string(v));
  return static_cast<size_t>(v);
}

// The whole buffer in `key` as elements of `type`; ops check every address against its size.
effnet::BufferPtr whole(const Args& args, const char* key, DType type, size_t* elements) {
  effnet::BufferPtr b = args.buffer(key, 0, type);
  *elements = b->bytes() / effnet::dtype_size(type);
  return b;
}

// ECMAScript ToInt32 / ToUint8 of a double, as typed-array stores do.
uint32_t wrap32(double v) {
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<uint32_t>(m);
}

// `v` stored as one element of `type`, the way tfjs's typed arrays store it.
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

// {x, out, dtype, shape, xOffset, xStrides[, outOffset, outStrides]}: out[outLayout(i)] = x[xLayout(i)].
Napi::Value StridedCopy(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  const DType type = args.dtype("dtype");
  const std::vector<int64_t> shape = args.integers("shape");
  element_count(shape, op);
  StridedLayout src{args.integer("xOffset"), args.integers("xStrides")};
  StridedLayout dst{args.integer_or("outOffset", 0),
                    args.has("outStrides") ? args.integers("outStrides") : row_major(shape)};
  if (src.strides.size() != shape.size() || dst.strides.size() != shape.size()) {
    args.fail("shape, xStrides and outStrides must have the same length");
  }
  size_t x_elements, out_elements;
  auto x = whole(args, "x", type, &x_elements);
  auto out = whole(args, "out", type, &out_elements);
  effnet::strided_copy(op, effnet::dtype_size(type), shape, ConstSpan{x->data(), x_elements}, src,
                       MutSpan{out->data(), out_elements}, dst);
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

// {inputs: [ids], out, dtype, outer, inner: [...]}: inputs viewed as [outer, inner_i], side by side.
Napi::Value ConcatEntry(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  const DType type = args.dtype("dtype");
  const size_t esize = effnet::dtype_size(type);
  const size_t outer = non_negative(args, "outer");
  const std::vector<int64_t> ids = args.integers("inputs");
  const std::vector<int64_t> inner_sizes = args.integers("inner");
  if (ids.size() != inner_sizes.size()) args.fail("'inputs' and 'inner' must have the same length");
  std::vector<effnet::BufferPtr> keep;
  std::vector<ConstSpan> inputs;
  std::vector<size_t> inner;
  size_t total = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (inner_sizes[i] < 0) args.fail("'inner' sizes must be >= 0");
    if (ids[i] <= 0 || ids[i] > 0xffffffffLL) args.fail("input " + std::to_string(i) + " is not a buffer id");
    effnet::BufferPtr b;
    try {
      b = registry_get(static_cast<uint32_t>(ids[i]));
    } catch (const effnet::Error& e) {
      args.fail("input " + std::to_string(i) + ": " + e.what());
    }
    keep.push_back(b);
    inputs.push_back(ConstSpan{b->data(), b->bytes() / esize});
    inner.push_back(static_cast<size_t>(inner_sizes[i]));
    total += inner.back();
  }
  size_t need;
  if (__builtin_mul_overflow(outer, total, &need)) args.fail("output too large");
  void* out = args.data<void>("out", need, type, keep);
  effnet::concat(op, esize, outer, inputs, inner, MutSpan{out, need});
  return info.Env().Undefined();
}

Napi::Value Concat(const Napi::CallbackInfo& info) { return ConcatEntry(info, "Concat"); }
Napi::Value Pack(const Napi::CallbackInfo& info) { return ConcatEntry(info, "Pack"); }

// {x, out, dtype, shape, before, after, value}
Napi::Value PadV2(const Napi::CallbackInfo& info) {
  Args args(info, "PadV2");
  const DType type = args.dtype("dtype");
  const std::vector<int64_t> shape = args.integers("shape");
  const size_t in_count = element_count(shape, "PadV2");
  std::vector<effnet::BufferPtr> keep;
  void* x = args.data<void>("x", in_count, type, keep);
  size_t out_elements;
  auto out = whole(args, "out", type, &out_elements);
  unsigned char value[8];
  element_bytes(args.number("value"), type, value);
  effnet::pad("PadV2", effnet::dtype_size(type), shape, args.integers("before"), args.integers("after"), value,
              ConstSpan{x, in_count}, MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

// {x, out, dtype, shape, before, after, offset}
Napi::Value MirrorPad(const Napi::CallbackInfo& info) {
  Args args(info, "MirrorPad");
  const DType type = args.dtype("dtype");
  const std::vector<int64_t> shape = args.integers("shape");
  const size_t in_count = element_count(shape, "MirrorPad");
  std::vector<effnet::BufferPtr> keep;
  void* x = args.data<void>("x", in_count, type, keep);
  size_t out_elements;
  auto out = whole(args, "out", type, &out_elements);
  effnet::mirror_pad("MirrorPad", effnet::dtype_size(type), shape, args.integers("before"), args.integers("after"),
                     static_cast<int>(args.integer("offset")), ConstSpan{x, in_count},
                     MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

// {x, indices, out, dtype, batch, outer, dim, slice, count}
Napi::Value GatherV2(const Napi::CallbackInfo& info) {
  Args args(info, "GatherV2");
  const DType type = args.dtype("dtype");
  const size_t batch = non_negative(args, "batch"), outer = non_negative(args, "outer");
  const size_t dim = non_negative(args, "dim"), slice = non_negative(args, "slice");
  const size_t count = non_negative(args, "count");
  size_t x_elements, idx_elements, out_elements;
  auto x = whole(args, "x", type, &x_elements);
  auto idx = whole(args, "indices", DType::kInt32, &idx_elements);
  auto out = whole(args, "out", type, &out_elements);
  effnet::gather("GatherV2", effnet::dtype_size(type), batch, outer, dim, slice, count, ConstSpan{x->data(), x_elements},
                 static_cast<const int32_t*>(idx->data()), idx_elements, MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

// {params, indices, out, dtype, slices, indexRank, sliceSize, strides, rows, paramsShape}
Napi::Value GatherNd(const Napi::CallbackInfo& info) {
  Args args(info, "GatherNd");
  const DType type = args.dtype("dtype");
  size_t p_elements, idx_elements, out_elements;
  auto params = whole(args, "params", type, &p_elements);
  auto idx = whole(args, "indices", DType::kInt32, &idx_elements);
  auto out = whole(args, "out", type, &out_elements);
  effnet::gather_nd("GatherNd", effnet::dtype_size(type), non_negative(args, "slices"),
                    non_negative(args, "indexRank"), non_negative(args, "sliceSize"), args.integers("strides"),
                    non_negative(args, "rows"), args.integers("paramsShape"), ConstSpan{params->data(), p_elements},
                    static_cast<const int32_t*>(idx->data()), idx_elements, MutSpan{out->data(), out_elements});
  return info.Env().Undefined();
}

// {x, out, from, to, size}
Napi::Value Cast(const Napi::CallbackInfo& info) {
  Args args(info, "Cast");
  const DType from = args.dtype("from"), to = args.dtype("to");
  const size_t n = non_negative(args, "size");
  std::vector<effnet::BufferPtr> keep;
  const void* x = args.data<void>("x", n, from, keep);
  void* out = args.data<void>("out", n, to, keep);
  effnet::cast("Cast", from, to, n, x, out);
  return info.Env().Undefined();
}

// {out, dtype, size, value}
Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args args(info, "Fill");
  const DType type = args.dtype("dtype");
  const size_t n = non_negative(args, "size");
  std::vector<effnet::BufferPtr> keep;
  void* out = args.data<void>("out", n, type, keep);
  unsigned char value[8];
  element_bytes(args.number("value"), type, value);
  effnet::fill(MutSpan{out, n}, effnet::dtype_size(type), value);
  return info.Env().Undefined();
}

// {indices, out, dtype, count, depth, on, off}
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  Args args(info, "OneHot");
  const DType type = args.dtype("dtype");
  const size_t count = non_negative(args, "count"), depth = non_negative(args, "depth");
  std::vector<effnet::BufferPtr> keep;
  const int32_t* indices = args.data<int32_t>("indices", count, DType::kInt32, keep);
  size_t out_elements;
  auto out = whole(args, "out", type, &out_elements);
  unsigned char on[8], off[8];
  element_bytes(args.number("on"), type, on);
  element_bytes(args.number("off"), type, off);
  effnet::one_hot("OneHot", effnet::dtype_size(type), count, depth, indices, on, off,
                  MutSpan{out->data(), out_elements});
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
  export_entry(env, exports, "padV2", PadV2);
  export_entry(env, exports, "mirrorPad", MirrorPad);
  export_entry(env, exports, "gatherV2", GatherV2);
  export_entry(env, exports, "gatherNd", GatherNd);
  export_entry(env, exports, "cast", Cast);
  export_entry(env, exports, "fill", Fill);
  export_entry(env, exports, "oneHot", OneHot);
}

}  // namespace binding
