// Cast: dtype conversion with tfjs-backend-cpu's rules (to bool: x != 0; to int32: truncation with
// typed-array wrap-around; to float32: rounding).
#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

__global__ void cast_kernel(const void* x, DType xt, void* out, DType ot, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const double v = load_as_double(x, xt, i);
    if (ot == DType::kBool) {
      static_cast<uint8_t*>(out)[i] = v != 0 ? 1 : 0;
    } else if (ot == DType::kInt32) {
      static_cast<int32_t*>(out)[i] = js_to_int32(trunc(v));
    } else {
      static_cast<float*>(out)[i] = static_cast<float>(v);
    }
  }
}

}  // namespace

void cast(const void* x, DType xt, void* out, DType ot, size_t n) {
  if (n == 0) return;
  cast_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(x, xt, out, ot, n);
  CUDA_CHECK_LAUNCH("cast");
}

}  // namespace cuda
}  // namespace effnet
