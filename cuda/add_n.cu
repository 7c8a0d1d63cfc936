// AddN: out = inputs[0] + inputs[1] + ... (accumulated in input order, as tfjs-backend-cpu).
#include <vector>

#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

// out = a + b (out may alias a), typed.
__global__ void add_into_kernel(const void* a, const void* b, DType t, void* out, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    store_from_double(load_as_double(a, t, i) + load_as_double(b, t, i), out, t, i);
  }
}

}  // namespace

void add_n(const std::vector<const void*>& inputs, DType type, void* out, size_t n) {
  if (n == 0 || inputs.empty()) return;
  cudaStream_t s = stream();
  const size_t bytes = n * dtype_size(type);
  if (inputs.size() == 1) {
    CUDA_CHECK(cudaMemcpyAsync(out, inputs[0], bytes, cudaMemcpyDeviceToDevice, s));
    return;
  }
  add_into_kernel<<<blocks_for(n), kThreads, 0, s>>>(inputs[0], inputs[1], type, out, n);
  CUDA_CHECK_LAUNCH("addN");
  for (size_t k = 2; k < inputs.size(); ++k) {
    add_into_kernel<<<blocks_for(n), kThreads, 0, s>>>(out, inputs[k], type, out, n);
    CUDA_CHECK_LAUNCH("addN");
  }
}

}  // namespace cuda
}  // namespace effnet
