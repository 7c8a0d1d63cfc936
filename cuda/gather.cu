// GatherV2: one thread per output element copies from the indexed row (batch dims, outer, count, slice).
#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

template <typename T>
__global__ void gather_kernel(const T* __restrict__ x, const int32_t* __restrict__ indices, T* __restrict__ out,
                              size_t outer, size_t dim, size_t slice, size_t count, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t s = i % slice;
    const size_t r = i / slice;  // output row: (b * outer + o) * count + j
    const size_t j = r % count, bo = r / count, b = bo / outer;
    const int64_t v = indices[b * count + j];
    out[i] = (v >= 0 && static_cast<size_t>(v) < dim) ? x[(bo * dim + static_cast<size_t>(v)) * slice + s] : T(0);
  }
}

template <typename T>
void launch(const void* x, const int32_t* idx, void* out, size_t outer, size_t dim, size_t slice, size_t count, size_t n,
            cudaStream_t s) {
  gather_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<const T*>(x), idx, static_cast<T*>(out), outer, dim,
                                                      slice, count, n);
  CUDA_CHECK_LAUNCH("gatherV2");
}

}  // namespace

void gather(size_t elem_size, size_t batch, size_t outer, size_t dim, size_t slice, size_t count, const void* x,
            const int32_t* indices, void* out) {
  const size_t n = batch * outer * count * slice;
  if (n == 0) return;
  cudaStream_t s = stream();
  switch (elem_size) {
    case 1: return launch<uint8_t>(x, indices, out, outer, dim, slice, count, n, s);
    case 4: return launch<uint32_t>(x, indices, out, outer, dim, slice, count, n, s);
    default: throw Error("GatherV2: element size " + std::to_string(elem_size) + " is not supported");
  }
}

}  // namespace cuda
}  // namespace effnet
