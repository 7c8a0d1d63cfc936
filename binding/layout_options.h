// The options of the layout entries (strided copies, Concat/Pack, PadV2/MirrorPad, GatherV2, GatherNd,
// Cast, Fill, OneHot), read once for both addons. `Args` is BasicArgs<Registry> (options.h): each
// struct holds the buffers it looked up, so the pointers in it stay valid while it lives.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "options.h"

namespace binding {

// ECMAScript ToInt32 / ToUint8 of a double, as typed-array stores do.
inline uint32_t wrap32(double v) {
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<uint32_t>(m);
}

// `v` stored as one element of `type`, the way tfjs's typed arrays store it.
inline void element_bytes(double v, effnet::DType type, unsigned char out[8]) {
  std::memset(out, 0, 8);
  switch (type) {
    case effnet::DType::kFloat32: {
      float f = static_cast<float>(v);
      std::memcpy(out, &f, 4);
      return;
    }
    case effnet::DType::kInt32: {
      uint32_t u = wrap32(v);
      std::memcpy(out, &u, 4);
      return;
    }
    case effnet::DType::kBool: out[0] = static_cast<unsigned char>(wrap32(v) & 0xff); return;
  }
}

inline std::vector<int64_t> row_major(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t k = shape.size(); k-- > 1;) strides[k - 1] = strides[k] * shape[k];
  return strides;
}

// The kernels one strided copy serves (out[outLayout(i)] = x[xLayout(i)]), as {entry, tfjs kernel}.
inline const std::vector<EntryName>& strided_copy_entries() {
  static const std::vector<EntryName> names{
      {"transpose", "Transpose"}, {"slice", "Slice"},     {"stridedSlice", "StridedSlice"}, {"tile", "Tile"},
      {"broadcastTo", "BroadcastTo"}, {"reverse", "Reverse"}, {"splitV", "SplitV"},         {"unpack", "Unpack"}};
  return names;
}

// The kernels one concatenation serves, as {entry, tfjs kernel}.
inline const std::vector<EntryName>& concat_entries() {
  static const std::vector<EntryName> names{{"concat", "Concat"}, {"pack", "Pack"}};
  return names;
}

// {x, out, dtype, shape, xOffset, xStrides[, outOffset, outStrides]}: out[outLayout(i)] = x[xLayout(i)].
// `Layout` is the engine's {offset, strides} struct. x and out are whole buffers: the engine checks
// every address against their sizes.
template <typename Layout, typename Args>
struct StridedCopyOptions {
  effnet::DType type;
  std::vector<int64_t> shape;
  Layout src, dst;
  typename Args::BufferPtr x, out;
  size_t x_elements = 0, out_elements = 0;
};

template <typename Layout, typename Args>
StridedCopyOptions<Layout, Args> read_strided_copy(const Args& args) {
  StridedCopyOptions<Layout, Args> o;
  o.type = args.dtype("dtype");
  o.shape = args.integers("shape");
  element_count(o.shape, args.op());
  o.src = Layout{args.integer("xOffset"), args.integers("xStrides")};
  o.dst = Layout{args.integer_or("outOffset", 0), args.has("outStrides") ? args.integers("outStrides") : row_major(o.shape)};
  if (o.src.strides.size() != o.shape.size() || o.dst.strides.size() != o.shape.size()) {
    args.fail("shape, xStrides and outStrides must have the same length");
  }
  o.x = args.whole_buffer("x", o.type, &o.x_elements);
  o.out = args.whole_buffer("out", o.type, &o.out_elements);
  return o;
}

// {inputs: [ids], out, dtype, outer, inner: [...]}: inputs viewed as [outer, inner_i], side by side in
// out [outer, sum(inner)].
template <typename Args>
struct ConcatOptions {
  effnet::DType type;
  size_t elem_size = 0, outer = 0, out_elements = 0;
  BufferList<Args> inputs;
  std::vector<size_t> inner;
  void* out = nullptr;
  BufferList<Args> keep;
};

// `check_input(options, i, buffer, inner_i)` runs on each input as it is looked up, with dtype, elem_size
// and outer already read (an engine that does not check the inputs' sizes itself checks them there).
template <typename Args, typename CheckInput>
ConcatOptions<Args> read_concat(const Args& args, CheckInput check_input) {
  ConcatOptions<Args> o;
  o.type = args.dtype("dtype");
  o.elem_size = effnet::dtype_size(o.type);
  o.outer = args.non_negative("outer");
  const std::vector<int64_t> ids = args.integers("inputs");
  const std::vector<int64_t> inner_sizes = args.integers("inner");
  if (ids.size() != inner_sizes.size()) args.fail("'inputs' and 'inner' must have the same length");
  size_t total = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (inner_sizes[i] < 0) args.fail("'inner' sizes must be >= 0");
    typename Args::BufferPtr b = args.buffer_at(ids[i], "input " + std::to_string(i));
    check_input(static_cast<const ConcatOptions<Args>&>(o), i, b, static_cast<size_t>(inner_sizes[i]));
    o.inputs.push_back(b);
    o.inner.push_back(static_cast<size_t>(inner_sizes[i]));
    total += o.inner.back();
  }
  if (__builtin_mul_overflow(o.outer, total, &o.out_elements)) args.fail("output too large");
  o.out = args.template data<void>("out", o.out_elements, o.type, o.keep);
  return o;
}

// {x, out, dtype, shape, before, after, ...}: the options PadV2 and MirrorPad share, x checked to hold
// `shape`.
template <typename Args>
struct PadOptions {
  effnet::DType type;
  std::vector<int64_t> shape, before, after;
  size_t in_elements = 0;
  void* x = nullptr;
  BufferList<Args> keep;
};

template <typename Args>
PadOptions<Args> read_pad(const Args& args) {
  PadOptions<Args> o;
  o.type = args.dtype("dtype");
  o.shape = args.integers("shape");
  o.before = args.integers("before");
  o.after = args.integers("after");
  o.in_elements = element_count(o.shape, args.op());
  o.x = args.template data<void>("x", o.in_elements, o.type, o.keep);
  return o;
}

// The padded shape (one before/after pair per dimension, each >= 0), for engines that do not check
// the paddings themselves.
inline std::vector<int64_t> padded_shape(const OptionReader& args, const std::vector<int64_t>& shape,
                                         const std::vector<int64_t>& before, const std::vector<int64_t>& after) {
  if (before.size() != shape.size() || after.size() != shape.size()) args.fail("paddings must have one pair per dimension");
  std::vector<int64_t> out_shape(shape.size());
  for (size_t k = 0; k < shape.size(); ++k) {
    if (before[k] < 0 || after[k] < 0) args.fail("paddings must be >= 0");
    out_shape[k] = shape[k] + before[k] + after[k];
  }
  return out_shape;
}

// GatherV2 {x, indices, out, dtype, batch, outer, dim, slice, count}: out[b, o, j, :] =
// x[b, o, indices[b, j], :] (slice elements each). The buffers are looked up by each addon.
struct GatherOptions {
  effnet::DType type;
  size_t batch = 0, outer = 0, dim = 0, slice = 0, count = 0;
};

inline GatherOptions read_gather(const OptionReader& args) {
  GatherOptions o;
  o.type = args.dtype("dtype");
  o.batch = args.non_negative("batch");
  o.outer = args.non_negative("outer");
  o.dim = args.non_negative("dim");
  o.slice = args.non_negative("slice");
  o.count = args.non_negative("count");
  return o;
}

// GatherNd {params, indices, out, dtype, slices, indexRank, sliceSize, strides, rows, paramsShape}:
// params viewed as [rows, sliceSize]; each of `slices` index rows (indexRank values) picks one row
// through `strides`. The buffers are looked up by each addon.
struct GatherNdOptions {
  effnet::DType type;
  size_t slices = 0, index_rank = 0, slice_size = 0, rows = 0;
  std::vector<int64_t> strides, params_shape;
};

inline GatherNdOptions read_gather_nd(const OptionReader& args) {
  GatherNdOptions o;
  o.type = args.dtype("dtype");
  o.slices = args.non_negative("slices");
  o.index_rank = args.non_negative("indexRank");
  o.slice_size = args.non_negative("sliceSize");
  o.rows = args.non_negative("rows");
  o.strides = args.integers("strides");
  o.params_shape = args.integers("paramsShape");
  return o;
}

// Cast {x, out, from, to, size}.
template <typename Args>
struct CastOptions {
  effnet::DType from, to;
  size_t size = 0;
  const void* x = nullptr;
  void* out = nullptr;
  BufferList<Args> keep;
};

template <typename Args>
CastOptions<Args> read_cast(const Args& args) {
  CastOptions<Args> o;
  o.from = args.dtype("from");
  o.to = args.dtype("to");
  o.size = args.non_negative("size");
  o.x = args.template data<void>("x", o.size, o.from, o.keep);
  o.out = args.template data<void>("out", o.size, o.to, o.keep);
  return o;
}

// Fill {out, dtype, size, value}: `value` as one element of dtype.
template <typename Args>
struct FillOptions {
  effnet::DType type;
  size_t size = 0;
  void* out = nullptr;
  unsigned char value[8];
  BufferList<Args> keep;
};

template <typename Args>
FillOptions<Args> read_fill(const Args& args) {
  FillOptions<Args> o;
  o.type = args.dtype("dtype");
  o.size = args.non_negative("size");
  o.out = args.template data<void>("out", o.size, o.type, o.keep);
  element_bytes(args.number("value"), o.type, o.value);
  return o;
}

// OneHot {indices, out, dtype, count, depth, on, off}: out[i, k] = indices[i] == k ? on : off. The
// output buffer is looked up by each addon.
template <typename Args>
struct OneHotOptions {
  effnet::DType type;
  size_t count = 0, depth = 0;
  const int32_t* indices = nullptr;
  unsigned char on[8], off[8];
  BufferList<Args> keep;
};

template <typename Args>
OneHotOptions<Args> read_one_hot(const Args& args) {
  OneHotOptions<Args> o;
  o.type = args.dtype("dtype");
  o.count = args.non_negative("count");
  o.depth = args.non_negative("depth");
  o.indices = args.template data<int32_t>("indices", o.count, effnet::DType::kInt32, o.keep);
  element_bytes(args.number("on"), o.type, o.on);
  element_bytes(args.number("off"), o.type, o.off);
  return o;
}

}  // namespace binding
