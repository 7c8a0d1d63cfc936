// BatchMatMul / _FusedMatMul: transposes are handled while packing (B) or by one transposed copy (A).
#include "effnet/matmul.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "effnet/threadpool.h"

namespace effnet {

void batch_matmul(const MatMulShape& s, const float* a, const float* b, const BufferPtr& b_source, float* out,
                  const GemmEpilogueParams& ep, bool accumulate) {
  check(s.batch_a >= 1 && s.batch_b >= 1 && s.batch >= 1, "matmul: batch sizes must be >= 1");
  if (s.m == 0 || s.n == 0) return;
  const size_t m = s.m, n = s.n, k = s.k;
  const GemmKernel kernel = gemm_select(n);

  // A as row-major [m, k] per batch.
  std::vector<float> a_copy;
  const float* a_rows = a;
  if (s.transpose_a && k > 0) {
    a_copy.resize(s.batch_a * m * k);
    parallel_for(s.batch_a * m, 64, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        const size_t bi = r / m, i = r % m;
        const float* src = a + bi * m * k + i;
        float* dst = a_copy.data() + r * k;
        for (size_t kk = 0; kk < k; ++kk) dst[kk] = src[kk * m];
      }
    });
    a_rows = a_copy.data();
  }

  // B packed per batch.
  const size_t k_stride = s.transpose_b ? 1 : n;
  const size_t n_stride = s.transpose_b ? k : 1;
  const size_t packed_floats = gemm_packed_floats(kernel, k, n);
  BufferPtr cached;
  std::vector<float> packed_local;
  const float* packed = nullptr;
  if (b_source != nullptr && s.batch_b == 1) {
    cached = gemm_packed_weights(b_source, s.transpose_b ? "matmul-nk" : "matmul-kn", kernel, k, n, b, k_stride,
                                 n_stride);
    packed = static_cast<const float*>(cached->data());
  } else {
    packed_local.resize(std::max<size_t>(1, s.batch_b * packed_floats));
    parallel_for(s.batch_b, 1, [&](size_t begin, size_t end) {
      for (size_t bi = begin; bi < end; ++bi) {
        gemm_pack_b(kernel, k, n, b + bi * k * n, k_stride, n_stride, packed_local.data() + bi * packed_floats);
      }
    });
    packed = packed_local.data();
  }

  auto one = [&](size_t bi, bool parallel) {
    GemmEpilogueParams e = ep;
    if (e.residual != nullptr) e.residual += bi * m * e.residual_stride;
    gemm_compute(kernel, m, n, k, a_rows + (bi % s.batch_a) * m * k, k, packed + (bi % s.batch_b) * packed_floats,
                 out + bi * m * n, n, e, accumulate, parallel);
  };
  const size_t threads = static_cast<size_t>(num_threads());
  if (s.batch >= 2 * threads) {
    parallel_for(s.batch, 1, [&](size_t begin, size_t end) {
      for (size_t bi = begin; bi < end; ++bi) one(bi, false);
    });
  } else {
    for (size_t bi = 0; bi < s.batch; ++bi) one(bi, true);
  }
}

}  // namespace effnet
