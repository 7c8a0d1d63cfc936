// 2-D pooling: row gathering, ISA dispatch, threading over batch x output rows.
#include <algorithm>
#include <vector>

#include "effnet/isa.h"
#include "effnet/pooling.h"
#include "effnet/threadpool.h"
#include "kernels/pool/pool.h"

namespace effnet {

void pool2d(const Pool2DParams& p, const float* x, float* out) {
  check(p.batch >= 0 && p.in_h >= 0 && p.in_w >= 0 && p.channels >= 0 && p.out_h >= 0 && p.out_w >= 0,
        "pool2d: negative dimension");
  check(p.filter_h >= 1 && p.filter_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1,
        "pool2d: filter size and strides must be >= 1");
  const int64_t big = int64_t(1) << 31;
  check(p.filter_h < big && p.filter_w < big && p.stride_h < big && p.stride_w < big && p.pad_top > -big &&
            p.pad_top < big && p.pad_left > -big && p.pad_left < big && p.in_h < big && p.in_w < big &&
            p.out_h < big && p.out_w < big,
        "pool2d: parameter out of range");
  const size_t rows_total = static_cast<size_t>(p.batch * p.out_h);
  if (rows_total == 0 || p.out_w == 0 || p.channels == 0) return;
  const bool is_max = p.type == PoolType::kMax;
  pool::RowKernel kernel = nullptr;
  switch (active_isa()) {
    case Isa::kAvx512: kernel = is_max ? pool::pool_max_avx512 : pool::pool_avg_avx512; break;
    case Isa::kAvx2: kernel = is_max ? pool::pool_max_avx2 : pool::pool_avg_avx2; break;
    default: kernel = is_max ? pool::pool_max_portable : pool::pool_avg_portable; break;
  }
  const size_t C = static_cast<size_t>(p.channels);
  const size_t in_row = static_cast<size_t>(p.in_w) * C;
  const size_t out_row = static_cast<size_t>(p.out_w) * C;
  const size_t work = out_row * static_cast<size_t>(p.filter_h * p.filter_w);
  const size_t grain = std::max<size_t>(1, 16384 / std::max<size_t>(1, work));
  parallel_for(rows_total, grain, [&](size_t begin, size_t end) {
    std::vector<const float*> rows;
    rows.reserve(static_cast<size_t>(std::min<int64_t>(p.filter_h, p.in_h + 1)));
    pool::RowArgs a{};
    a.channels = C;
    a.in_w = static_cast<size_t>(p.in_w);
    a.out_w = static_cast<size_t>(p.out_w);
    a.filter_w = static_cast<size_t>(p.filter_w);
    a.stride_w = static_cast<size_t>(p.stride_w);
    a.pad_left = static_cast<ptrdiff_t>(p.pad_left);
    for (size_t r = begin; r < end; ++r) {
      const size_t n = r / static_cast<size_t>(p.out_h);
      const int64_t oy = static_cast<int64_t>(r % static_cast<size_t>(p.out_h));
      const float* image = x + n * static_cast<size_t>(p.in_h) * in_row;
      const int64_t y0 = std::max<int64_t>(0, oy * p.stride_h - p.pad_top);
      const int64_t y1 = std::min<int64_t>(p.in_h, oy * p.stride_h - p.pad_top + p.filter_h);
      rows.clear();
      for (int64_t iy = y0; iy < y1; ++iy) rows.push_back(image + static_cast<size_t>(iy) * in_row);
      a.rows = rows.data();
      a.row_count = rows.size();
      a.out = out + r * out_row;
      kernel(a);
    }
  });
}

}  // namespace effnet
