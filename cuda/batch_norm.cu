// FusedBatchNorm at inference: out = offset + (x - mean) * scale / sqrt(variance + eps) in float64,
// with tfjs's cyclic indexing of the four operands (i modulo each operand's size).
#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

__global__ void batch_norm_kernel(const float* __restrict__ x, size_t n, const float* mean, size_t mean_n,
                                  const float* var, size_t var_n, const float* offset, size_t offset_n,
                                  const float* scale, size_t scale_n, double eps, float* __restrict__ out) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const double o = offset ? static_cast<double>(offset[i % offset_n]) : 0.0;
    const double s = scale ? static_cast<double>(scale[i % scale_n]) : 1.0;
    const double d = sqrt(static_cast<double>(var[i % var_n]) + eps);
    out[i] = static_cast<float>(o + (static_cast<double>(x[i]) - mean[i % mean_n]) * s / d);
  }
}

}  // namespace

void batch_norm(const float* x, size_t n, CyclicOperand mean, CyclicOperand variance, CyclicOperand offset,
                CyclicOperand scale, double epsilon, float* out) {
  if (mean.data == nullptr || mean.size == 0) throw Error("FusedBatchNorm: mean is empty");
  if (variance.data == nullptr || variance.size == 0) throw Error("FusedBatchNorm: variance is empty");
  if (n == 0) return;
  batch_norm_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(x, n, mean.data, mean.size, variance.data, variance.size,
                                                             offset.size ? offset.data : nullptr, offset.size ? offset.size : 1,
                                                             scale.size ? scale.data : nullptr, scale.size ? scale.size : 1,
                                                             epsilon, out);
  CUDA_CHECK_LAUNCH("batchNorm");
}

}  // namespace cuda
}  // namespace effnet
