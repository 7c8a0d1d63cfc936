// Float32 unary microkernels over contiguous arrays, and the exp pass of softmax.
// Vector exp/sigmoid/tanh use polynomial approximations with a relative error near 2e-7
// (measured in test/elementwise.test.ts); the portable variants call libm.
#pragma once
#include <cstddef>

namespace effnet {
namespace kernels {

enum F32UnaryOp : int {
  kF32Relu = 0,       // max(0, x), NaN propagates
  kF32Relu6 = 1,      // min(max(0, x), 6)
  kF32LeakyRelu = 2,  // x < 0 ? alpha * x : x
  kF32Clip = 3,       // x > beta ? beta : (x < alpha ? alpha : x)
  kF32Neg = 4,
  kF32Abs = 5,
  kF32Square = 6,
  kF32Sqrt = 7,
  kF32Sigmoid = 8,    // 1 / (1 + exp(-x))
  kF32Tanh = 9,
  kF32Exp = 10,
  kF32Swish = 11,     // x * sigmoid(x) = x / (1 + exp(-x))
};

void f32_unary_avx512(int op, const float* x, float* y, size_t n, float alpha, float beta);
void f32_unary_avx2(int op, const float* x, float* y, size_t n, float alpha, float beta);
void f32_unary_portable(int op, const float* x, float* y, size_t n, float alpha, float beta);

// y[i] = exp(x[i] - max); returns the sum of y (softmax's numerator pass).
float f32_raddstoreexpminusmax_avx512(const float* x, float max, float* y, size_t n);
float f32_raddstoreexpminusmax_avx2(const float* x, float max, float* y, size_t n);
float f32_raddstoreexpminusmax_portable(const float* x, float max, float* y, size_t n);

}  // namespace kernels
}  // namespace effnet
