// Portable float32 unary microkernels: plain loops; transcendental functions call libm.
#include <cmath>
#include <cstddef>

#include "kernels/unary/unary.h"

namespace effnet {
namespace kernels {
namespace {

struct Relu { static float f(float x, float, float) { return x < 0.f ? 0.f : x; } };
struct Relu6 { static float f(float x, float, float) { return x < 0.f ? 0.f : (x > 6.f ? 6.f : x); } };
struct LeakyRelu { static float f(float x, float alpha, float) { return x < 0.f ? alpha * x : x; } };
struct Clip { static float f(float x, float lo, float hi) { return x > hi ? hi : (x < lo ? lo : x); } };
struct Neg { static float f(float x, float, float) { return -x; } };
struct Abs { static float f(float x, float, float) { return std::fabs(x); } };
struct Square { static float f(float x, float, float) { return x * x; } };
struct Sqrt { static float f(float x, float, float) { return std::sqrt(x); } };
struct Sigmoid { static float f(float x, float, float) { return 1.f / (1.f + std::exp(-x)); } };
struct Tanh { static float f(float x, float, float) { return std::tanh(x); } };
struct Exp { static float f(float x, float, float) { return std::exp(x); } };
struct Swish { static float f(float x, float, float) { return x / (1.f + std::exp(-x)); } };

template <class Op>
void run(const float* x, float* y, size_t n, float alpha, float beta) {
  for (size_t i = 0; i < n; ++i) y[i] = Op::f(x[i], alpha, beta);
}

}  // namespace

void f32_unary_portable(int op, const float* x, float* y, size_t n, float alpha, float beta) {
  switch (op) {
    case kF32Relu: return run<Relu>(x, y, n, alpha, beta);
    case kF32Relu6: return run<Relu6>(x, y, n, alpha, beta);
    case kF32LeakyRelu: return run<LeakyRelu>(x, y, n, alpha, beta);
    case kF32Clip: return run<Clip>(x, y, n, alpha, beta);
    case kF32Neg: return run<Neg>(x, y, n, alpha, beta);
    case kF32Abs: return run<Abs>(x, y, n, alpha, beta);
    case kF32Square: return run<Square>(x, y, n, alpha, beta);
    case kF32Sqrt: return run<Sqrt>(x, y, n, alpha, beta);
    case kF32Sigmoid: return run<Sigmoid>(x, y, n, alpha, beta);
    case kF32Tanh: return run<Tanh>(x, y, n, alpha, beta);
    case kF32Exp: return run<Exp>(x, y, n, alpha, beta);
    case kF32Swish: return run<Swish>(x, y, n, alpha, beta);
  }
}

float f32_raddstoreexpminusmax_portable(const float* x, float max, float* y, size_t n) {
  float sum = 0.f;
  for (size_t i = 0; i < n; ++i) {
    const float e = std::exp(x[i] - max);
    y[i] = e;
    sum += e;
  }
  return sum;
}

}  // namespace kernels
}  // namespace effnet
