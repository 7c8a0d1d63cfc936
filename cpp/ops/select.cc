// Select (tf.where): out = condition == 1 ? t : e, element-wise or by rows for a rank-1 condition.
#include <cstring>

#include "effnet/elementwise.h"
#include "effnet/threadpool.h"
#include "ops/elementwise_internal.h"

namespace effnet {

void select(const void* cond, DType cond_type, size_t cond_size, const void* t, DType t_type, const void* e,
            DType e_type, void* out, DType out_type, size_t n_out) {
  if (n_out == 0) return;
  check(cond_size > 0 && n_out % cond_size == 0, "Select: condition size does not divide the output size");
  const size_t inner = n_out / cond_size;  // 1 when element-wise
  const bool same = t_type == out_type && e_type == out_type;
  const size_t width = dtype_size(out_type);
  parallel_for(cond_size, detail::kParallelGrain / inner + 1, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const bool take_t = detail::load_one(cond, cond_type, i) == 1.0;
      const void* src = take_t ? t : e;
      const size_t first = i * inner;
      if (same) {
        std::memcpy(static_cast<uint8_t*>(out) + first * width, static_cast<const uint8_t*>(src) + first * width,
                    inner * width);
      } else {
        const DType st = take_t ? t_type : e_type;
        for (size_t k = first; k < first + inner; ++k) detail::store_one(detail::load_one(src, st, k), out, out_type, k);
      }
    }
  });
}

}  // namespace effnet
