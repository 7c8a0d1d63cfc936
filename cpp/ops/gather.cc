// GatherV2 (with batch dimensions) and GatherNd: contiguous slices selected by int32 indices.
#include <algorithm>
#include <cstring>
#include <string>

#include "effnet/layout.h"
#include "effnet/threadpool.h"

namespace effnet {
namespace {

size_t product(const std::string& name, std::initializer_list<size_t> factors) {
  size_t n = 1;
  for (size_t f : factors) check(!__builtin_mul_overflow(n, f, &n), name + ": shape too large");
  return n;
}

std::string join(const int64_t* v, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

}  // namespace

void gather(const char* op, size_t elem_size, size_t batch, size_t outer, size_t dim, size_t slice, size_t count,
            ConstSpan src, const int32_t* indices, size_t indices_elements, MutSpan dst) {
  const std::string name(op);
  const size_t src_need = product(name, {batch, outer, dim, slice});
  const size_t idx_need = product(name, {batch, count});
  const size_t dst_need = product(name, {batch, outer, count, slice});
  check(src.elements >= src_need, name + ": the input holds " + std::to_string(src.elements) + " elements, " +
                                      std::to_string(src_need) + " are needed");
  check(indices_elements >= idx_need, name + ": indices hold " + std::to_string(indices_elements) +
                                          " elements, " + std::to_string(idx_need) + " are needed");
  check(dst.elements >= dst_need, name + ": the output holds " + std::to_string(dst.elements) + " elements, " +
                                      std::to_string(dst_need) + " are needed");
  for (size_t i = 0; i < idx_need; ++i) {
    const int64_t v = indices[i];
    if (v < 0 || static_cast<uint64_t>(v) >= dim) {
      throw Error(name + ": the index value " + std::to_string(v) + " is not in [0, " +
                  std::to_string(static_cast<int64_t>(dim) - 1) + "]");
    }
  }
  if (dst_need == 0) return;
  const size_t bytes = slice * elem_size;
  const size_t rows = batch * outer * count;
  const auto* s = static_cast<const unsigned char*>(src.data);
  auto* d = static_cast<unsigned char*>(dst.data);
  // Source row of output row r = (b * outer + o) * count + j.
  auto source = [&](size_t r) {
    const size_t j = r % count, bo = r / count, b = bo / outer;
    return bo * dim + static_cast<size_t>(indices[b * count + j]);
  };
  parallel_for(rows, std::max<size_t>(1, (size_t{1} << 16) / bytes), [&](size_t lo, size_t hi) {
    if (bytes == 4) {  // single 4-byte elements: typed copies instead of memcpy calls (buffers are aligned)
      const auto* s4 = reinterpret_cast<const uint32_t*>(s);
      auto* d4 = reinterpret_cast<uint32_t*>(d);
      for (size_t r = lo; r < hi; ++r) d4[r] = s4[source(r)];
    } else if (bytes == 1) {
      for (size_t r = lo; r < hi; ++r) d[r] = s[source(r)];
    } else {
      for (size_t r = lo; r < hi; ++r) std::memcpy(d + r * bytes, s + source(r) * bytes, bytes);
    }
  });
}

void gather_nd(const char* op, size_t elem_size, size_t slices, size_t index_rank, size_t slice_size,
               const std::vector<int64_t>& strides, size_t rows, const std::vector<int64_t>& params_shape,
               ConstSpan src, const int32_t* indices, size_t indices_elements, MutSpan dst) {
  const std::string name(op);
  check(strides.size() == index_rank, name + ": " + std::to_string(strides.size()) + " strides for indices of depth " +
                                          std::to_string(index_rank));
  const size_t src_need = product(name, {rows, slice_size});
  const size_t idx_need = product(name, {slices, index_rank});
  const size_t dst_need = product(name, {slices, slice_size});
  check(src.elements >= src_need, name + ": the input holds " + std::to_string(src.elements) + " elements, " +
                                      std::to_string(src_need) + " are needed");
  check(indices_elements >= idx_need, name + ": indices hold " + std::to_string(indices_elements) +
                                          " elements, " + std::to_string(idx_need) + " are needed");
  check(dst.elements >= dst_need, name + ": the output holds " + std::to_string(dst.elements) + " elements, " +
                                      std::to_string(dst_need) + " are needed");
  std::vector<size_t> row(slices);
  for (size_t i = 0; i < slices; ++i) {
    int64_t flat = 0;
    bool overflow = false;
    for (size_t j = 0; j < index_rank; ++j) {
      int64_t term;
      overflow |= __builtin_mul_overflow(static_cast<int64_t>(indices[i * index_rank + j]), strides[j], &term);
      overflow |= __builtin_add_overflow(flat, term, &flat);
    }
    if (overflow || flat < 0 || static_cast<uint64_t>(flat) >= rows) {
      std::vector<int64_t> index(indices + i * index_rank, indices + (i + 1) * index_rank);
      throw Error(name + ": invalid indices: " + join(index.data(), index.size()) + " does not index into " +
                  join(params_shape.data(), params_shape.size()));
    }
    row[i] = static_cast<size_t>(flat);
  }
  const size_t bytes = slice_size * elem_size;
  if (bytes == 0) return;
  const auto* s = static_cast<const unsigned char*>(src.data);
  auto* d = static_cast<unsigned char*>(dst.data);
  parallel_for(slices, std::max<size_t>(1, (size_t{1} << 16) / bytes), [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) std::memcpy(d + i * bytes, s + row[i] * bytes, bytes);
  });
}

}  // namespace effnet
