// PadV2 (constant) and MirrorPad ('reflect' / 'symmetric'), both built on strided_copy.
#include <string>

#include "effnet/layout.h"

namespace effnet {
namespace {

std::vector<int64_t> row_major_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t k = shape.size(); k-- > 1;) strides[k - 1] = strides[k] * shape[k];
  return strides;
}

// Checks the paddings and returns the output shape.
std::vector<int64_t> padded_shape(const std::string& name, const std::vector<int64_t>& shape,
                                  const std::vector<int64_t>& before, const std::vector<int64_t>& after) {
  check(before.size() == shape.size() && after.size() == shape.size(),
        name + ": paddings have " + std::to_string(before.size()) + " entries for a tensor of rank " +
            std::to_string(shape.size()));
  std::vector<int64_t> out(shape.size());
  for (size_t k = 0; k < shape.size(); ++k) {
    check(shape[k] >= 0, name + ": negative dimension " + std::to_string(shape[k]));
    check(before[k] >= 0 && after[k] >= 0, name + ": paddings must be non-negative, got [" +
                                               std::to_string(before[k]) + ", " + std::to_string(after[k]) +
                                               "] for dimension " + std::to_string(k));
    check(before[k] <= (int64_t{1} << 40) && after[k] <= (int64_t{1} << 40) && shape[k] <= (int64_t{1} << 40),
          name + ": paddings too large");
    out[k] = before[k] + shape[k] + after[k];
  }
  return out;
}

size_t count(const std::string& name, const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) check(!__builtin_mul_overflow(n, static_cast<size_t>(d), &n), name + ": shape too large");
  return n;
}

}  // namespace

void pad(const char* op, size_t elem_size, const std::vector<int64_t>& shape, const std::vector<int64_t>& before,
         const std::vector<int64_t>& after, const void* value, ConstSpan src, MutSpan dst) {
  const std::string name(op);
  const std::vector<int64_t> out_shape = padded_shape(name, shape, before, after);
  const size_t out_count = count(name, out_shape);
  check(dst.elements >= out_count, name + ": the output holds " + std::to_string(dst.elements) + " elements, " +
                                       std::to_string(out_count) + " are needed");
  fill(MutSpan{dst.data, out_count}, elem_size, value);
  StridedLayout in{0, row_major_strides(shape)};
  StridedLayout out{0, row_major_strides(out_shape)};
  for (size_t k = 0; k < shape.size(); ++k) out.offset += before[k] * out.strides[k];
  strided_copy(op, elem_size, shape, src, in, dst, out);
}

void mirror_pad(const char* op, size_t elem_size, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& before, const std::vector<int64_t>& after, int offset, ConstSpan src,
                MutSpan dst) {
  const std::string name(op);
  check(offset == 0 || offset == 1, name + ": mode offset must be 0 (reflect) or 1 (symmetric)");
  const std::vector<int64_t> out_shape = padded_shape(name, shape, before, after);
  for (size_t k = 0; k < shape.size(); ++k) {
    const int64_t limit = shape[k] - 1 + offset;
    check(before[k] <= limit && after[k] <= limit,
          name + ": paddings of dimension " + std::to_string(k) + " must be at most " + std::to_string(limit) +
              " for " + (offset == 0 ? "'reflect'" : "'symmetric'") + " mode, got [" + std::to_string(before[k]) +
              ", " + std::to_string(after[k]) + "]");
  }
  const size_t out_count = count(name, out_shape);
  check(dst.elements >= out_count, name + ": the output holds " + std::to_string(dst.elements) + " elements, " +
                                       std::to_string(out_count) + " are needed");
  if (out_count == 0) return;
  const std::vector<int64_t> os = row_major_strides(out_shape);
  // The input goes inside; then, one dimension at a time, each padding region is a reversed copy of
  // already written output (dimensions before d: whole extent; after d: the input's extent).
  StridedLayout interior{0, os};
  for (size_t k = 0; k < shape.size(); ++k) interior.offset += before[k] * os[k];
  strided_copy(op, elem_size, shape, src, StridedLayout{0, row_major_strides(shape)}, dst, interior);
  const ConstSpan self{dst.data, out_count};
  for (size_t d = 0; d < shape.size(); ++d) {
    std::vector<int64_t> region(shape.size());
    int64_t base = 0;
    for (size_t k = 0; k < shape.size(); ++k) {
      if (k < d) region[k] = out_shape[k];
      if (k > d) {
        region[k] = shape[k];
        base += before[k] * os[k];
      }
    }
    std::vector<int64_t> reversed = os;
    reversed[d] = -os[d];
    if (before[d] > 0) {
      region[d] = before[d];
      const int64_t first_src = 2 * before[d] - offset;  // source coordinate of destination coordinate 0
      strided_copy(op, elem_size, region, self, StridedLayout{base + first_src * os[d], reversed}, dst,
                   StridedLayout{base, os});
    }
    if (after[d] > 0) {
      region[d] = after[d];
      const int64_t end = before[d] + shape[d];
      const int64_t first_src = end - 2 + offset;  // source coordinate of destination coordinate `end`
      strided_copy(op, elem_size, region, self, StridedLayout{base + first_src * os[d], reversed}, dst,
                   StridedLayout{base + end * os[d], os});
    }
  }
}

}  // namespace effnet
