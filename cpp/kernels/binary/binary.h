// Float32 binary microkernels over one contiguous run: y[i] = a[i*sa] (op) b[i*sb].
// Used by the broadcasting walker (cpp/ops/binary.cc) for every run of the output's innermost
// dimension, and by other ops (softmax, AddN) directly.
#pragma once
#include <cstddef>

namespace effnet {
namespace kernels {

// Operation codes understood by the f32 binary microkernels (NaN propagates as in tfjs:
// Max/Min return NaN when either input is NaN).
enum F32BinaryOp : int { kF32Add = 0, kF32Sub = 1, kF32Mul = 2, kF32Div = 3, kF32Max = 4, kF32Min = 5 };

// Operand patterns: both vectors, b a scalar (b[0] for every i), a a scalar.
enum F32BinaryPattern : int { kVecVec = 0, kVecScalar = 1, kScalarVec = 2 };

void f32_binary_avx512(int op, int pattern, const float* a, const float* b, float* y, size_t n);
void f32_binary_avx2(int op, int pattern, const float* a, const float* b, float* y, size_t n);
void f32_binary_portable(int op, int pattern, const float* a, const float* b, float* y, size_t n);

}  // namespace kernels
}  // namespace effnet
