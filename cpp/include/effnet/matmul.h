// Batched matrix multiplication (tfjs BatchMatMul / _FusedMatMul) on the GEMM engine.
#pragma once
#include <cstddef>

#include "effnet/buffer.h"
#include "effnet/gemm.h"

namespace effnet {

struct MatMulShape {
  size_t batch_a = 1, batch_b = 1;  // flattened leading dimensions of a and b
  size_t batch = 1;                 // output batches; batch i uses a[i % batch_a], b[i % batch_b] (as tfjs)
  size_t m = 0, n = 0, k = 0;
  bool transpose_a = false;         // a holds [k, m] per batch instead of [m, k]
  bool transpose_b = false;         // b holds [n, k] per batch instead of [k, n]
};

// out[i] = epilogue(op(a[i % batch_a]) * op(b[i % batch_b])), out is [batch, m, n].
// When `b_source` is non-null and batch_b == 1, b is a weight: its packed form is cached against
// b_source and freed with it. With `accumulate`, out's previous contents are added first.
void batch_matmul(const MatMulShape& s, const float* a, const float* b, const BufferPtr& b_source, float* out,
                  const GemmEpilogueParams& ep, bool accumulate);

}  // namespace effnet
