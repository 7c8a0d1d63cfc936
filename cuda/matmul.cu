// BatchMatMul / _FusedMatMul: the tiled GEMM of gemm.cuh with strided loaders (transposes are
// strides), batch broadcasting as tfjs-backend-cpu (batch index modulo each side's batch count). The
// GEMM runs in the engine's precision (precision(); tensor cores unless fp32, gemm_tensor_core.cuh).
#include "gemm_tensor_core.cuh"

namespace effnet {
namespace cuda {

void batch_matmul(const MatMulShape& s, const float* a, const float* b, float* out, const Epilogue& ep) {
  if (s.batch_a < 1 || s.batch_b < 1 || s.batch < 1) throw Error("BatchMatMul: batch sizes must be >= 1");
  const int64_t M = static_cast<int64_t>(s.m), N = static_cast<int64_t>(s.n), K = static_cast<int64_t>(s.k);
  const DeviceEpilogue dep = to_device(ep);
  MatrixLoad la{a, static_cast<int64_t>(s.batch_a), M * K, s.transpose_a ? 1 : K, s.transpose_a ? M : 1};
  MatrixLoad lb{b, static_cast<int64_t>(s.batch_b), K * N, s.transpose_b ? 1 : N, s.transpose_b ? K : 1};
  launch_gemm_in(precision(), la, lb, out, static_cast<int64_t>(s.batch), M, N, K, dep, stream());
}

}  // namespace cuda
}  // namespace effnet
