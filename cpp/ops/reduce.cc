// Reductions over any set of axes. The input's dims are coalesced into alternating kept/reduced
// groups; float32 Sum/Mean/Max/Min over the innermost group (a row) or over a middle group (e.g.
// H*W of NHWC, with the channels vectorised) use the microkernels. All
// other cases walk the reduced elements in row-major order (tfjs's order after it transposes the
// reduced axes innermost) and accumulate in float64 with tfjs's update rule.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "effnet/elementwise.h"
#include "effnet/threadpool.h"
#include "ops/elementwise_internal.h"

namespace effnet {
namespace {

struct Group {
  size_t size;
  size_t stride;
  bool reduced;
};

const char* op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "Sum";
    case ReduceOp::kMean: return "Mean";
    case ReduceOp::kMax: return "Max";
    case ReduceOp::kMin: return "Min";
    case ReduceOp::kProd: return "Prod";
    case ReduceOp::kAll: return "All";
    case ReduceOp::kAny: return "Any";
  }
  return "reduce";
}

// Running value of one output element, fed the reduced elements in order.
struct Accumulator {
  ReduceOp op;
  double inv_count;  // Mean: float32(count)
  double acc = 0;
  bool first = true;

  void add(double v) {
    switch (op) {
      case ReduceOp::kSum: acc += v; break;
      case ReduceOp::kMean:
        // tfjs: cast to float32, divide by the count in float32, then sum in float64.
        acc += static_cast<double>(static_cast<float>(static_cast<double>(static_cast<float>(v)) / inv_count));
        break;
      case ReduceOp::kProd: acc = first ? v : acc * v; break;
      case ReduceOp::kMax:
        if (first || std::isnan(v) || v > acc) acc = v;
        break;
      case ReduceOp::kMin:
        if (first || std::isnan(v) || v < acc) acc = v;
        break;
      case ReduceOp::kAll:
        if (first || detail::truthy(acc)) acc = v;
        break;
      case ReduceOp::kAny:
        if (first || !detail::truthy(acc)) acc = v;
        break;
    }
    first = false;
  }
};

double empty_value(ReduceOp op) {
  switch (op) {
    case ReduceOp::kProd: return 1;
    case ReduceOp::kMax:
    case ReduceOp::kMin:
    case ReduceOp::kAll:
    case ReduceOp::kAny: return NAN;  // tfjs reads past the (empty) row: undefined
    default: return 0;
  }
}

// out[o * cols + c] = scale * sum_r x[o * rows * cols + r * cols + c] for o < outer.
void sum_middle_f32(const float* x, float* out, size_t outer, size_t rows, size_t cols, double scale) {
  constexpr size_t kCols = 64;
  const size_t blocks = (cols + kCols - 1) / kCols;
  const size_t grain = detail::kParallelGrain / (rows * kCols) + 1;
  parallel_for(outer * blocks, grain, [&](size_t begin, size_t end) {
    double acc[kCols];
    for (size_t u = begin; u < end; ++u) {
      const size_t o = u / blocks;
      const size_t c0 = (u % blocks) * kCols;
      const size_t len = cols - c0 < kCols ? cols - c0 : kCols;
      for (size_t c = 0; c < len; ++c) acc[c] = 0;
      detail::f32_rsum_rows(x + o * rows * cols + c0, rows, len, cols, acc);
      for (size_t c = 0; c < len; ++c) out[o * cols + c0 + c] = static_cast<float>(acc[c] * scale);
    }
  });
}

// out[o] = scale * sum of row o (rows of `cols` contiguous elements).
void sum_rows_f32(const float* x, float* out, size_t outer, size_t cols, double scale) {
  if (outer == 1 && cols > detail::kParallelGrain) {
    // One long row: fixed-size chunks (independent of the thread count), summed in order.
    const size_t chunk = detail::kParallelGrain;
    const size_t chunks = (cols + chunk - 1) / chunk;
    std::vector<double> partial(chunks);
    parallel_for(chunks, 1, [&](size_t begin, size_t end) {
      for (size_t k = begin; k < end; ++k) {
        const size_t len = cols - k * chunk < chunk ? cols - k * chunk : chunk;
        partial[k] = detail::f32_rsum(x + k * chunk, len);
      }
    });
    double s = 0;
    for (double p : partial) s += p;
    out[0] = static_cast<float>(s * scale);
    return;
  }
  parallel_for(outer, detail::kParallelGrain / cols + 1, [&](size_t begin, size_t end) {
    for (size_t o = begin; o < end; ++o) out[o] = static_cast<float>(detail::f32_rsum(x + o * cols, cols) * scale);
  });
}

// out[o * cols + c] = max (min) over r of x[o * rows * cols + r * cols + c], NaN-propagating.
void minmax_middle_f32(bool is_max, const float* x, float* out, size_t outer, size_t rows, size_t cols) {
  constexpr size_t kCols = 64;
  const size_t blocks = (cols + kCols - 1) / kCols;
  const size_t grain = detail::kParallelGrain / (rows * kCols) + 1;
  parallel_for(outer * blocks, grain, [&](size_t begin, size_t end) {
    for (size_t u = begin; u < end; ++u) {
      const size_t o = u / blocks;
      const size_t c0 = (u % blocks) * kCols;
      const size_t len = cols - c0 < kCols ? cols - c0 : kCols;
      const float* base = x + o * rows * cols + c0;
      float* acc = out + o * cols + c0;
      for (size_t c = 0; c < len; ++c) acc[c] = base[c];
      detail::f32_rminmax_rows(is_max, base + cols, rows - 1, len, cols, acc);
    }
  });
}

void minmax_rows_f32(bool is_max, const float* x, float* out, size_t outer, size_t cols) {
  parallel_for(outer, detail::kParallelGrain / cols + 1, [&](size_t begin, size_t end) {
    for (size_t o = begin; o < end; ++o) {
      out[o] = is_max ? detail::f32_rmax(x + o * cols, cols) : detail::f32_rmin(x + o * cols, cols);
    }
  });
}

void reduce_generic(ReduceOp op, const void* x, DType x_type, const std::vector<Group>& groups, size_t out_size,
                    size_t red_size, void* out, DType out_type) {
  std::vector<Group> kept, red;
  for (const Group& g : groups) (g.reduced ? red : kept).push_back(g);
  const size_t run = red.back().size;
  const size_t run_stride = red.back().stride;
  const size_t runs = red_size / run;
  const double count = static_cast<double>(static_cast<float>(static_cast<double>(red_size)));
  parallel_for(out_size, detail::kParallelGrain / red_size + 1, [&](size_t begin, size_t end) {
    std::vector<size_t> idx(red.size());
    double t[detail::kBlock];
    for (size_t o = begin; o < end; ++o) {
      size_t base = 0, rem = o;
      for (size_t k = kept.size(); k-- > 0;) {
        base += (rem % kept[k].size) * kept[k].stride;
        rem /= kept[k].size;
      }
      Accumulator acc{op, count};
      std::fill(idx.begin(), idx.end(), 0);
      size_t off = base;
      for (size_t q = 0; q < runs; ++q) {
        for (size_t done = 0; done < run; done += detail::kBlock) {
          const size_t m = run - done < detail::kBlock ? run - done : detail::kBlock;
          detail::load_block(x, x_type, off + done * run_stride, run_stride, m, t);
          for (size_t i = 0; i < m; ++i) acc.add(t[i]);
        }
        // Next run: advance the reduced index over all but the innermost group.
        for (size_t k = red.size() - 1; k-- > 0;) {
          off += red[k].stride;
          if (++idx[k] < red[k].size) break;
          off -= red[k].stride * red[k].size;
          idx[k] = 0;
        }
      }
      detail::store_one(acc.acc, out, out_type, o);
    }
  });
}

}  // namespace

bool reduce_op_from_name(const std::string& kernel, ReduceOp* op) {
  static const struct {
    const char* name;
    ReduceOp op;
  } kOps[] = {{"Sum", ReduceOp::kSum},   {"Mean", ReduceOp::kMean}, {"Max", ReduceOp::kMax}, {"Min", ReduceOp::kMin},
              {"Prod", ReduceOp::kProd}, {"All", ReduceOp::kAll},   {"Any", ReduceOp::kAny}};
  for (const auto& n : kOps) {
    if (kernel == n.name) {
      *op = n.op;
      return true;
    }
  }
  return false;
}

void reduce(ReduceOp op, const void* x, DType x_type, const Shape& shape, const std::vector<int64_t>& axes, void* out,
            DType out_type) {
  const size_t rank = shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes) {
    check(a >= 0 && static_cast<size_t>(a) < rank,
          std::string(op_name(op)) + ": axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    reduced[static_cast<size_t>(a)] = true;
  }
  size_t out_size = 1, red_size = 1;
  for (size_t i = 0; i < rank; ++i) (reduced[i] ? red_size : out_size) *= static_cast<size_t>(shape[i]);
  if (out_size == 0) return;
  if (red_size == 0) {
    for (size_t o = 0; o < out_size; ++o) detail::store_one(empty_value(op), out, out_type, o);
    return;
  }
  // Coalesce: drop size-1 dims, merge neighbours with the same role (the input is contiguous).
  std::vector<Group> groups;
  size_t stride = 1;
  for (size_t k = rank; k-- > 0;) {
    const size_t d = static_cast<size_t>(shape[k]);
    if (d != 1) {
      if (!groups.empty() && groups.front().reduced == reduced[k]) {
        groups.front().size *= d;
      } else {
        groups.insert(groups.begin(), Group{d, stride, reduced[k]});
      }
    }
    stride *= d;
  }
  if (red_size == 1 || groups.empty() || !std::any_of(groups.begin(), groups.end(), [](const Group& g) { return g.reduced; })) {
    // Nothing is reduced: each output is its single element, through the op's update rule.
    groups.push_back(Group{1, 1, true});
  }
  const size_t ng = groups.size();
  const bool last_reduced = groups.back().reduced;
  const bool f32 = x_type == DType::kFloat32 && out_type == DType::kFloat32;
  const bool is_sum = op == ReduceOp::kSum || op == ReduceOp::kMean;
  const double scale = op == ReduceOp::kMean ? 1.0 / static_cast<double>(red_size) : 1.0;
  if (f32 && last_reduced && (ng == 1 || (ng == 2 && !groups[0].reduced))) {
    const float* xf = static_cast<const float*>(x);
    float* of = static_cast<float*>(out);
    if (is_sum) return sum_rows_f32(xf, of, out_size, red_size, scale);
    if (op == ReduceOp::kMax || op == ReduceOp::kMin) return minmax_rows_f32(op == ReduceOp::kMax, xf, of, out_size, red_size);
  }
  const bool is_minmax = op == ReduceOp::kMax || op == ReduceOp::kMin;
  if (f32 && (is_sum || is_minmax) && !last_reduced && ((ng == 2 && groups[0].reduced) || (ng == 3 && groups[1].reduced))) {
    const size_t outer = ng == 3 ? groups[0].size : 1;
    const size_t rows = groups[ng - 2].size;
    const size_t cols = groups[ng - 1].size;
    const float* xf = static_cast<const float*>(x);
    float* of = static_cast<float*>(out);
    if (is_minmax) return minmax_middle_f32(op == ReduceOp::kMax, xf, of, outer, rows, cols);
    return sum_middle_f32(xf, of, outer, rows, cols, scale);
  }
  reduce_generic(op, x, x_type, groups, out_size, red_size, out, out_type);
}

void mean_spatial_f32(const float* x, float* out, size_t n, size_t hw, size_t c) {
  if (n == 0 || c == 0) return;
  if (hw == 0) {
    for (size_t i = 0; i < n * c; ++i) out[i] = 0.f;
    return;
  }
  sum_middle_f32(x, out, n, hw, c, 1.0 / static_cast<double>(hw));
}

void arg_reduce(bool is_max, const void* x, DType x_type, const Shape& shape, int64_t axis, int32_t* out) {
  const char* name = is_max ? "ArgMax" : "ArgMin";
  check(axis >= 0 && static_cast<size_t>(axis) < shape.size(),
        std::string(name) + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(shape.size()));
  size_t outer = 1, inner = 1;
  for (size_t i = 0; i < static_cast<size_t>(axis); ++i) outer *= static_cast<size_t>(shape[i]);
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i) inner *= static_cast<size_t>(shape[i]);
  const size_t r = static_cast<size_t>(shape[static_cast<size_t>(axis)]);
  if (outer * inner == 0) return;
  if (r == 0) {
    for (size_t i = 0; i < outer * inner; ++i) out[i] = 0;
    return;
  }
  constexpr size_t kCols = detail::kBlock;
  const size_t blocks = (inner + kCols - 1) / kCols;
  parallel_for(outer * blocks, detail::kParallelGrain / (r * kCols) + 1, [&](size_t begin, size_t end) {
    double best[kCols], t[kCols];
    int32_t index[kCols];
    for (size_t u = begin; u < end; ++u) {
      const size_t o = u / blocks;
      const size_t c0 = (u % blocks) * kCols;
      const size_t len = inner - c0 < kCols ? inner - c0 : kCols;
      const size_t base = o * r * inner + c0;
      detail::load_block(x, x_type, base, 1, len, best);
      for (size_t c = 0; c < len; ++c) index[c] = 0;
      for (size_t j = 1; j < r; ++j) {
        detail::load_block(x, x_type, base + j * inner, 1, len, t);
        for (size_t c = 0; c < len; ++c) {
          if (is_max ? t[c] > best[c] : t[c] < best[c]) {
            best[c] = t[c];
            index[c] = static_cast<int32_t>(j);
          }
        }
      }
      for (size_t c = 0; c < len; ++c) out[o * inner + c0 + c] = index[c];
    }
  });
}

}  // namespace effnet
