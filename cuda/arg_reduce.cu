// ArgMax / ArgMin along one axis: one thread per output walks the axis in order; the first strictly
// greater (smaller) value wins, as in tfjs-backend-cpu (NaN never wins after the first element).
#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

__global__ void arg_reduce_kernel(bool is_max, const void* x, DType xt, int32_t* out, size_t outer, size_t r,
                                  size_t inner) {
  const size_t n = outer * inner;
  for (size_t o = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; o < n;
       o += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t a = o / inner, c = o - a * inner;
    const size_t base = a * r * inner + c;
    double best = load_as_double(x, xt, base);
    int32_t index = 0;
    for (size_t j = 1; j < r; ++j) {
      const double v = load_as_double(x, xt, base + j * inner);
      if (is_max ? v > best : v < best) {
        best = v;
        index = static_cast<int32_t>(j);
      }
    }
    out[o] = index;
  }
}

}  // namespace

void arg_reduce(bool is_max, const void* x, DType xt, const Shape& shape, int64_t axis, int32_t* out) {
  if (axis < 0 || static_cast<size_t>(axis) >= shape.size()) throw Error(std::string(is_max ? "ArgMax" : "ArgMin") + ": axis out of range");
  size_t outer = 1, inner = 1;
  for (size_t i = 0; i < static_cast<size_t>(axis); ++i) outer *= static_cast<size_t>(shape[i]);
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i) inner *= static_cast<size_t>(shape[i]);
  const size_t r = static_cast<size_t>(shape[static_cast<size_t>(axis)]);
  const size_t n = outer * inner;
  if (n == 0) return;
  cudaStream_t s = stream();
  if (r == 0) {
    CUDA_CHECK(cudaMemsetAsync(out, 0, n * sizeof(int32_t), s));
    return;
  }
  arg_reduce_kernel<<<blocks_for(n), kThreads, 0, s>>>(is_max, x, xt, out, outer, r, inner);
  CUDA_CHECK_LAUNCH("argReduce");
}

}  // namespace cuda
}  // namespace effnet
