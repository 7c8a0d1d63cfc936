// Reductions (Sum, Mean, Max, Min, Prod, All, Any) over any set of axes. Dims are grouped into kept
// and reduced groups (size-1 dims dropped, neighbours of one role merged). When the innermost group is
// reduced, one block reduces each output (coalesced reads along the row); otherwise each thread owns one
// output and walks the reduced index (neighbouring threads read neighbouring elements). Accumulation
// is in float64 with tfjs-backend-cpu's rules: NaN propagates through Max/Min, an empty reduction gives
// 0 (Sum, Mean), 1 (Prod) or NaN.
#include <string>
#include <vector>

#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

enum Op : int { kSum, kMean, kMax, kMin, kProd, kAll, kAny };

bool lookup(const std::string& kernel, Op* op) {
  static const struct {
    const char* name;
    Op op;
  } kOps[] = {{"Sum", kSum}, {"Mean", kMean}, {"Max", kMax}, {"Min", kMin}, {"Prod", kProd}, {"All", kAll}, {"Any", kAny}};
  for (const auto& n : kOps) {
    if (kernel == n.name) {
      *op = n.op;
      return true;
    }
  }
  return false;
}

struct Groups {
  int nk, nr;                // kept and reduced groups, outermost first
  int64_t ks[kMaxDims], kst[kMaxDims];  // sizes, strides (elements) of kept groups
  int64_t rs[kMaxDims], rst[kMaxDims];  // of reduced groups
};

__device__ __forceinline__ size_t kept_offset(const Groups& g, size_t o) {
  size_t off = 0;
  for (int k = g.nk - 1; k >= 0; --k) {
    const size_t d = static_cast<size_t>(g.ks[k]);
    const size_t q = o / d;
    off += (o - q * d) * g.kst[k];
    o = q;
  }
  return off;
}

__device__ __forceinline__ size_t reduced_offset(const Groups& g, size_t r) {
  size_t off = 0;
  for (int k = g.nr - 1; k >= 0; --k) {
    const size_t d = static_cast<size_t>(g.rs[k]);
    const size_t q = r / d;
    off += (r - q * d) * g.rst[k];
    r = q;
  }
  return off;
}

template <int OP>
__device__ __forceinline__ double identity() {
  if (OP == kProd || OP == kAll) return 1;
  if (OP == kMax) return -CUDART_INF;
  if (OP == kMin) return CUDART_INF;
  return 0;
}

template <int OP>
__device__ __forceinline__ double combine(double a, double v) {
  if (OP == kSum || OP == kMean) return a + v;
  if (OP == kProd) return a * v;
  if (OP == kMax) return isnan(a) || isnan(v) ? CUDART_NAN : (v > a ? v : a);
  if (OP == kMin) return isnan(a) || isnan(v) ? CUDART_NAN : (v < a ? v : a);
  if (OP == kAll) return (js_truthy(a) && js_truthy(v)) ? 1 : 0;
  return (js_truthy(a) || js_truthy(v)) ? 1 : 0;  // kAny
}

template <int OP>
__device__ __forceinline__ double finish(double acc, double count) {
  return OP == kMean ? acc / count : acc;
}

// One block per output (grid-stride over outputs); threads stride over the reduced index.
template <int OP>
__global__ void reduce_rows_kernel(Groups g, const void* x, DType xt, void* out, DType ot, size_t out_size,
                                   size_t red_size, double count) {
  __shared__ double partial[kThreads];
  for (size_t o = blockIdx.x; o < out_size; o += gridDim.x) {
    const size_t base = kept_offset(g, o);
    double acc = identity<OP>();
    for (size_t r = threadIdx.x; r < red_size; r += blockDim.x) acc = combine<OP>(acc, load_as_double(x, xt, base + reduced_offset(g, r)));
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) partial[threadIdx.x] = combine<OP>(partial[threadIdx.x], partial[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) store_from_double(finish<OP>(partial[0], count), out, ot, o);
    __syncthreads();
  }
}

// One thread per output; reduced elements walked in order.
template <int OP>
__global__ void reduce_columns_kernel(Groups g, const void* x, DType xt, void* out, DType ot, size_t out_size,
                                      size_t red_size, double count) {
  for (size_t o = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; o < out_size;
       o += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t base = kept_offset(g, o);
    double acc = identity<OP>();
    for (size_t r = 0; r < red_size; ++r) acc = combine<OP>(acc, load_as_double(x, xt, base + reduced_offset(g, r)));
    store_from_double(finish<OP>(acc, count), out, ot, o);
  }
}

__global__ void fill_double_kernel(void* out, DType ot, size_t n, double v) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    store_from_double(v, out, ot, i);
  }
}

template <int OP>
void launch(const Groups& g, bool rows, const void* x, DType xt, void* out, DType ot, size_t out_size, size_t red_size,
            cudaStream_t s) {
  const double count = static_cast<double>(static_cast<float>(static_cast<double>(red_size)));
  if (rows) {
    const unsigned blocks = static_cast<unsigned>(out_size < 65535u * 8u ? out_size : 65535u * 8u);
    reduce_rows_kernel<OP><<<blocks, kThreads, 0, s>>>(g, x, xt, out, ot, out_size, red_size, count);
  } else {
    reduce_columns_kernel<OP><<<blocks_for(out_size), kThreads, 0, s>>>(g, x, xt, out, ot, out_size, red_size, count);
  }
  CUDA_CHECK_LAUNCH("reduce");
}

}  // namespace

bool is_reduce_op(const std::string& kernel) {
  Op op;
  return lookup(kernel, &op);
}

void reduce(const std::string& kernel, const void* x, DType xt, const Shape& shape, const std::vector<int64_t>& axes,
            void* out, DType ot) {
  Op op;
  if (!lookup(kernel, &op)) throw Error(kernel + ": not a reduction of the CUDA engine");
  const size_t rank = shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes) {
    if (a < 0 || static_cast<size_t>(a) >= rank) {
      throw Error(kernel + ": axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    }
    reduced[static_cast<size_t>(a)] = true;
  }
  size_t out_size = 1, red_size = 1;
  for (size_t i = 0; i < rank; ++i) (reduced[i] ? red_size : out_size) *= static_cast<size_t>(shape[i]);
  if (out_size == 0) return;
  cudaStream_t s = stream();
  if (red_size == 0) {
    const double v = op == kProd ? 1.0 : (op == kSum || op == kMean) ? 0.0 : std::nan("");
    fill_double_kernel<<<blocks_for(out_size), kThreads, 0, s>>>(out, ot, out_size, v);
    CUDA_CHECK_LAUNCH("reduce");
    return;
  }
  // Groups, innermost first while building.
  struct G {
    int64_t size, stride;
    bool reduced;
  };
  std::vector<G> groups;
  int64_t stride = 1;
  for (size_t k = rank; k-- > 0;) {
    const int64_t d = shape[k];
    if (d != 1) {
      if (!groups.empty() && groups.back().reduced == reduced[k] &&
          groups.back().stride * groups.back().size == stride) {
        groups.back().size *= d;
      } else {
        groups.push_back(G{d, stride, static_cast<bool>(reduced[k])});
      }
    }
    stride *= d;
  }
  Groups g{};
  std::vector<G> kept, red;
  for (size_t i = groups.size(); i-- > 0;) (groups[i].reduced ? red : kept).push_back(groups[i]);  // outermost first
  if (red.empty()) red.push_back(G{1, 1, true});
  if (kept.size() > static_cast<size_t>(kMaxDims) || red.size() > static_cast<size_t>(kMaxDims)) {
    throw Error(kernel + ": too many dimensions");
  }
  g.nk = static_cast<int>(kept.size());
  g.nr = static_cast<int>(red.size());
  for (int i = 0; i < g.nk; ++i) {
    g.ks[i] = kept[i].size;
    g.kst[i] = kept[i].stride;
  }
  for (int i = 0; i < g.nr; ++i) {
    g.rs[i] = red[i].size;
    g.rst[i] = red[i].stride;
  }
  // Rows when the innermost dim is reduced (or nothing is kept): a block per output.
  const bool rows = groups.empty() || groups.front().reduced || out_size < 1024;
  switch (op) {
    case kSum: return launch<kSum>(g, rows, x, xt, out, ot, out_size, red_size, s);
    case kMean: return launch<kMean>(g, rows, x, xt, out, ot, out_size, red_size, s);
    case kMax: return launch<kMax>(g, rows, x, xt, out, ot, out_size, red_size, s);
    case kMin: return launch<kMin>(g, rows, x, xt, out, ot, out_size, red_size, s);
    case kProd: return launch<kProd>(g, rows, x, xt, out, ot, out_size, red_size, s);
    case kAll: return launch<kAll>(g, rows, x, xt, out, ot, out_size, red_size, s);
    case kAny: return launch<kAny>(g, rows, x, xt, out, ot, out_size, red_size, s);
  }
}

}  // namespace cuda
}  // namespace effnet
