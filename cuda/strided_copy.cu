// Strided copy: the one data-movement op behind Transpose, Slice, StridedSlice, Tile, BroadcastTo,
// Reverse, SplitV and Unpack (the TypeScript kernels compute the strided plans). Each thread maps a
// flat output index to source and destination offsets; size-1 dims are dropped and dims that are
// contiguous in both layouts are merged first.
#include <string>

#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

struct Plan {
  int rank;
  int64_t dims[kMaxDims];
  int64_t ss[kMaxDims];
  int64_t ds[kMaxDims];
};

template <typename T>
__global__ void strided_copy_kernel(Plan p, const T* __restrict__ src, int64_t src_offset, T* __restrict__ dst,
                                    int64_t dst_offset, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    int64_t s = src_offset, d = dst_offset;
    size_t rem = i;
    for (int k = p.rank - 1; k >= 0; --k) {
      const size_t dim = static_cast<size_t>(p.dims[k]);
      const size_t q = rem / dim;
      const int64_t r = static_cast<int64_t>(rem - q * dim);
      s += r * p.ss[k];
      d += r * p.ds[k];
      rem = q;
    }
    dst[d] = src[s];
  }
}

void bounds(const std::string& op, const Shape& shape, const StridedLayout& layout, int64_t* lo, int64_t* hi) {
  int64_t a = layout.offset, b = layout.offset;
  for (size_t k = 0; k < shape.size(); ++k) {
    int64_t span;
    if (__builtin_mul_overflow(shape[k] - 1, layout.strides[k], &span)) throw Error(op + ": strides too large");
    int64_t* target = span < 0 ? &a : &b;
    if (__builtin_add_overflow(*target, span, target)) throw Error(op + ": strides too large");
  }
  *lo = a;
  *hi = b;
}

template <typename T>
void launch(const Plan& p, const void* src, int64_t so, void* dst, int64_t d_o, size_t n, cudaStream_t s) {
  strided_copy_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(p, static_cast<const T*>(src), so, static_cast<T*>(dst),
                                                             d_o, n);
  CUDA_CHECK_LAUNCH("stridedCopy");
}

}  // namespace

void strided_copy(const std::string& op, size_t elem_size, const Shape& shape, const void* src, size_t src_elements,
                  const StridedLayout& src_layout, void* dst, size_t dst_elements, const StridedLayout& dst_layout) {
  if (src_layout.strides.size() != shape.size() || dst_layout.strides.size() != shape.size()) {
    throw Error(op + ": strides and shape have different ranks");
  }
  size_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error(op + ": negative dimension " + std::to_string(d));
    n *= static_cast<size_t>(d);
  }
  if (n == 0) return;
  int64_t lo, hi;
  bounds(op, shape, src_layout, &lo, &hi);
  if (lo < 0 || static_cast<uint64_t>(hi) >= src_elements) {
    throw Error(op + ": source elements [" + std::to_string(lo) + ", " + std::to_string(hi) +
                "] are outside the input (" + std::to_string(src_elements) + " elements)");
  }
  bounds(op, shape, dst_layout, &lo, &hi);
  if (lo < 0 || static_cast<uint64_t>(hi) >= dst_elements) {
    throw Error(op + ": destination elements [" + std::to_string(lo) + ", " + std::to_string(hi) +
                "] are outside the output (" + std::to_string(dst_elements) + " elements)");
  }
  // Drop size-1 dims; merge a dim into the next inner one where both layouts are contiguous across it.
  std::vector<int64_t> dims, ss, ds;  // innermost first
  for (size_t k = shape.size(); k-- > 0;) {
    if (shape[k] == 1) continue;
    if (!dims.empty() && src_layout.strides[k] == ss.back() * dims.back() &&
        dst_layout.strides[k] == ds.back() * dims.back()) {
      dims.back() *= shape[k];
      continue;
    }
    dims.push_back(shape[k]);
    ss.push_back(src_layout.strides[k]);
    ds.push_back(dst_layout.strides[k]);
  }
  if (dims.empty()) {
    dims.push_back(1);
    ss.push_back(0);
    ds.push_back(0);
  }
  if (dims.size() > static_cast<size_t>(kMaxDims)) throw Error(op + ": more than 8 dimensions after merging");
  Plan p{};
  p.rank = static_cast<int>(dims.size());
  for (int k = 0; k < p.rank; ++k) {
    p.dims[k] = dims[p.rank - 1 - k];
    p.ss[k] = ss[p.rank - 1 - k];
    p.ds[k] = ds[p.rank - 1 - k];
  }
  cudaStream_t s = stream();
  switch (elem_size) {
    case 1: return launch<uint8_t>(p, src, src_layout.offset, dst, dst_layout.offset, n, s);
    case 2: return launch<uint16_t>(p, src, src_layout.offset, dst, dst_layout.offset, n, s);
    case 4: return launch<uint32_t>(p, src, src_layout.offset, dst, dst_layout.offset, n, s);
    case 8: return launch<uint64_t>(p, src, src_layout.offset, dst, dst_layout.offset, n, s);
    default: throw Error(op + ": element size " + std::to_string(elem_size) + " is not supported");
  }
}

void concat(size_t elem_size, size_t outer, const std::vector<const void*>& inputs, const std::vector<size_t>& inner,
            void* out) {
  size_t total = 0;
  for (size_t v : inner) total += v;
  if (outer == 0 || total == 0) return;
  cudaStream_t s = stream();
  // One 2-D copy per input: rows of inner_i elements into the output's column block.
  size_t column = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inner[i] > 0) {
      CUDA_CHECK(cudaMemcpy2DAsync(static_cast<unsigned char*>(out) + column * elem_size, total * elem_size, inputs[i],
                                   inner[i] * elem_size, inner[i] * elem_size, outer, cudaMemcpyDeviceToDevice, s));
    }
    column += inner[i];
  }
}

}  // namespace cuda
}  // namespace effnet
