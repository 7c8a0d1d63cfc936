// MirrorPad: one thread per output element maps each coordinate back into the input, reflecting at
// the edges ('reflect' excludes the edge element, 'symmetric' repeats it).
#include <string>

#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

struct Dims {
  int rank;
  int64_t in[kMaxDims], out[kMaxDims], before[kMaxDims], in_stride[kMaxDims];
};

template <typename T>
__global__ void mirror_pad_kernel(Dims d, int offset, const T* __restrict__ x, T* __restrict__ out, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    size_t rem = i;
    int64_t src = 0;
    for (int k = d.rank - 1; k >= 0; --k) {
      const size_t dim = static_cast<size_t>(d.out[k]);
      const size_t q = rem / dim;
      int64_t j = static_cast<int64_t>(rem - q * dim) - d.before[k];
      rem = q;
      if (j < 0) j = -j - offset;
      else if (j >= d.in[k]) j = 2 * d.in[k] - 2 + offset - j;
      src += j * d.in_stride[k];
    }
    out[i] = x[src];
  }
}

template <typename T>
void launch(const Dims& d, int offset, const void* x, void* out, size_t n, cudaStream_t s) {
  mirror_pad_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(d, offset, static_cast<const T*>(x), static_cast<T*>(out), n);
  CUDA_CHECK_LAUNCH("mirrorPad");
}

}  // namespace

void mirror_pad(size_t elem_size, const Shape& shape, const std::vector<int64_t>& before,
                const std::vector<int64_t>& after, int offset, const void* x, void* out) {
  if (shape.size() > static_cast<size_t>(kMaxDims)) throw Error("MirrorPad: more than 8 dimensions");
  if (offset != 0 && offset != 1) throw Error("MirrorPad: mode offset must be 0 (reflect) or 1 (symmetric)");
  Dims d{};
  d.rank = static_cast<int>(shape.size());
  size_t n = 1;
  int64_t stride = 1;
  for (int k = d.rank - 1; k >= 0; --k) {
    const int64_t limit = shape[k] - 1 + offset;
    if (before[k] < 0 || after[k] < 0 || before[k] > limit || after[k] > limit) {
      throw Error("MirrorPad: paddings of dimension " + std::to_string(k) + " must be at most " + std::to_string(limit));
    }
    d.in[k] = shape[k];
    d.before[k] = before[k];
    d.out[k] = shape[k] + before[k] + after[k];
    d.in_stride[k] = stride;
    stride *= shape[k];
    n *= static_cast<size_t>(d.out[k]);
  }
  if (n == 0) return;
  cudaStream_t s = stream();
  switch (elem_size) {
    case 1: return launch<uint8_t>(d, offset, x, out, n, s);
    case 4: return launch<uint32_t>(d, offset, x, out, n, s);
    default: throw Error("MirrorPad: element size " + std::to_string(elem_size) + " is not supported");
  }
}

}  // namespace cuda
}  // namespace effnet
