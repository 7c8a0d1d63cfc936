// Fill and OneHot: outputs made of one or two constant elements.
#include <algorithm>
#include <cstring>
#include <string>

#include "effnet/layout.h"
#include "effnet/threadpool.h"

namespace effnet {
namespace {

template <typename T>
void fill_typed(unsigned char* dst, size_t n, const void* value) {
  T v;
  std::memcpy(&v, value, sizeof(T));
  parallel_for(n, size_t{1} << 16, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) std::memcpy(dst + i * sizeof(T), &v, sizeof(T));
  });
}

}  // namespace

void fill(MutSpan dst, size_t elem_size, const void* value) {
  auto* d = static_cast<unsigned char*>(dst.data);
  const auto* v = static_cast<const unsigned char*>(value);
  bool same = true;
  for (size_t b = 1; b < elem_size; ++b) same = same && v[b] == v[0];
  if (same) {
    const size_t bytes = dst.elements * elem_size;
    parallel_for(bytes, size_t{1} << 18, [&](size_t lo, size_t hi) { std::memset(d + lo, v[0], hi - lo); });
    return;
  }
  switch (elem_size) {
    case 2: return fill_typed<uint16_t>(d, dst.elements, value);
    case 4: return fill_typed<uint32_t>(d, dst.elements, value);
    case 8: return fill_typed<uint64_t>(d, dst.elements, value);
    default: throw Error("fill: unsupported element size " + std::to_string(elem_size));
  }
}

void one_hot(const char* op, size_t elem_size, size_t count, size_t depth, const int32_t* indices, const void* on,
             const void* off, MutSpan dst) {
  const std::string name(op);
  size_t need;
  check(!__builtin_mul_overflow(count, depth, &need), name + ": output too large");
  check(dst.elements >= need, name + ": the output holds " + std::to_string(dst.elements) + " elements, " +
                                  std::to_string(need) + " are needed");
  fill(MutSpan{dst.data, need}, elem_size, off);
  auto* d = static_cast<unsigned char*>(dst.data);
  for (size_t i = 0; i < count; ++i) {
    const int64_t k = indices[i];
    if (k >= 0 && static_cast<size_t>(k) < depth) std::memcpy(d + (i * depth + k) * elem_size, on, elem_size);
  }
}

}  // namespace effnet
