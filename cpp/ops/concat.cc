// Concat: inputs viewed as [outer, inner_i], copied side by side into [outer, sum(inner_i)].
#include <algorithm>
#include <cstring>
#include <string>

#include "effnet/layout.h"
#include "effnet/threadpool.h"

namespace effnet {

void concat(const char* op, size_t elem_size, size_t outer, const std::vector<ConstSpan>& inputs,
            const std::vector<size_t>& inner, MutSpan dst) {
  const std::string name(op);
  check(inputs.size() == inner.size(), name + ": " + std::to_string(inputs.size()) + " inputs but " +
                                           std::to_string(inner.size()) + " inner sizes");
  size_t total = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    size_t need;
    check(!__builtin_mul_overflow(outer, inner[i], &need), name + ": input " + std::to_string(i) + " too large");
    check(inputs[i].elements >= need, name + ": input " + std::to_string(i) + " holds " +
                                          std::to_string(inputs[i].elements) + " elements, " +
                                          std::to_string(need) + " are needed");
    check(!__builtin_add_overflow(total, inner[i], &total), name + ": output too large");
  }
  size_t need;
  check(!__builtin_mul_overflow(outer, total, &need), name + ": output too large");
  check(dst.elements >= need, name + ": the output holds " + std::to_string(dst.elements) + " elements, " +
                                  std::to_string(need) + " are needed");
  if (need == 0) return;
  std::vector<size_t> column(inputs.size());  // first output column of each input
  for (size_t i = 0, c = 0; i < inputs.size(); c += inner[i], ++i) column[i] = c;
  const size_t k = inputs.size();
  const size_t items = outer * k;
  const size_t grain = std::max<size_t>(1, (size_t{1} << 17) / std::max<size_t>(1, total / k * elem_size));
  auto* out = static_cast<unsigned char*>(dst.data);
  parallel_for(items, grain, [&](size_t lo, size_t hi) {
    for (size_t it = lo; it < hi; ++it) {
      const size_t row = it / k, i = it % k;
      const size_t bytes = inner[i] * elem_size;
      if (bytes == 0) continue;
      std::memcpy(out + (row * total + column[i]) * elem_size,
                  static_cast<const unsigned char*>(inputs[i].data) + row * bytes, bytes);
    }
  });
}

}  // namespace effnet
