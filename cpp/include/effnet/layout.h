// Data-movement ("layout") ops: strided copies (transpose, slice, tile, reverse, broadcast), concat,
// padding, gathers, casts and fills. Every op works on elements of 1 or 4 bytes (bool, int32,
// float32) and checks every address it touches against the buffer sizes it is given.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "effnet/common.h"

namespace effnet {

// A view of `elements` elements of `elem_size` bytes starting at `data`.
struct ConstSpan {
  const void* data;
  size_t elements;
};
struct MutSpan {
  void* data;
  size_t elements;
};

// A strided iteration space: element (i_0, ..., i_{r-1}) of `shape` lives at
// offset + sum_d i_d * strides[d] (in elements; strides may be 0 or negative).
struct StridedLayout {
  int64_t offset = 0;
  std::vector<int64_t> strides;
};

// The smallest and largest element offsets `layout` touches over `shape` (shape must not be empty,
// i.e. contain no 0). Throws effnet::Error (prefixed with `op`) on arithmetic overflow.
void strided_bounds(const char* op, const std::vector<int64_t>& shape, const StridedLayout& layout, int64_t* lo,
                    int64_t* hi);

// dst[dst_layout(i)] = src[src_layout(i)] for every index i of `shape`. Adjacent dimensions are
// merged, contiguous inner runs are copied with memcpy, a transposing pair of dimensions is copied
// in cache blocks, and large copies are split over threads. `src` and `dst` may be the same buffer
// when the regions read and written do not overlap. Throws effnet::Error (prefixed with `op`) when
// any address is outside its span.
void strided_copy(const char* op, size_t elem_size, const std::vector<int64_t>& shape, ConstSpan src,
                  const StridedLayout& src_layout, MutSpan dst, const StridedLayout& dst_layout);

// Concatenation of `inputs` viewed as 2-D [outer, inner[i]] along dimension 1 into
// dst [outer, sum(inner)].
void concat(const char* op, size_t elem_size, size_t outer, const std::vector<ConstSpan>& inputs,
            const std::vector<size_t>& inner, MutSpan dst);

// Fills `dst` with one element whose bytes are `value` (elem_size bytes, little-endian).
void fill(MutSpan dst, size_t elem_size, const void* value);

// Constant padding: dst (shape = before + shape + after per dimension) is filled with `value`,
// then src (contiguous `shape`) is copied inside.
void pad(const char* op, size_t elem_size, const std::vector<int64_t>& shape, const std::vector<int64_t>& before,
         const std::vector<int64_t>& after, const void* value, ConstSpan src, MutSpan dst);

// Mirror padding (tfjs's MirrorPad): `offset` is 0 for 'reflect', 1 for 'symmetric'.
void mirror_pad(const char* op, size_t elem_size, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& before, const std::vector<int64_t>& after, int offset, ConstSpan src,
                MutSpan dst);

// GatherV2: src viewed as [batch, outer, dim, slice], indices [batch, count] (int32),
// dst [batch, outer, count, slice]. An index outside [0, dim) throws
// "<op>: the index value <v> is not in [0, <dim-1>]".
void gather(const char* op, size_t elem_size, size_t batch, size_t outer, size_t dim, size_t slice, size_t count,
            ConstSpan src, const int32_t* indices, size_t indices_elements, MutSpan dst);

// GatherNd: indices [slices, index_rank] (int32); row = sum_j indices[s, j] * strides[j] selects
// `slice_size` contiguous elements of src (src has `rows` rows). Rows outside [0, rows) throw
// "<op>: invalid indices: [..] does not index into [params_shape]".
void gather_nd(const char* op, size_t elem_size, size_t slices, size_t index_rank, size_t slice_size,
               const std::vector<int64_t>& strides, size_t rows, const std::vector<int64_t>& params_shape,
               ConstSpan src, const int32_t* indices, size_t indices_elements, MutSpan dst);

// Element type conversion with JavaScript typed-array semantics: float32 -> int32 truncates and
// wraps modulo 2^32 (NaN and infinities give 0), anything -> bool is (x != 0) (NaN gives true).
void cast(const char* op, DType from, DType to, size_t elements, const void* src, void* dst);

// OneHot: dst [count, depth] gets `on` at (i, indices[i]) when 0 <= indices[i] < depth and `off`
// elsewhere (values are elem_size bytes each).
void one_hot(const char* op, size_t elem_size, size_t count, size_t depth, const int32_t* indices, const void* on,
             const void* off, MutSpan dst);

}  // namespace effnet
