// Unary element-wise ops. Float32 -> float32 activations and simple ops use the vector
// microkernels; everything else computes tfjs's float64 formula and stores with typed-array
// conversion (so int32 and bool inputs behave as in tfjs-backend-cpu).
#include <cmath>
#include <string>

#include "effnet/elementwise.h"
#include "effnet/threadpool.h"
#include "ops/elementwise_internal.h"

namespace effnet {
namespace {

using detail::kBlock;

// tfjs backend_util's Abramowitz-Stegun erf constants.
constexpr double kErfP = 0.3275911;
constexpr double kErfA1 = 0.254829592;
constexpr double kErfA2 = -0.284496736;
constexpr double kErfA3 = 1.421413741;
constexpr double kErfA4 = -1.453152027;
constexpr double kErfA5 = 1.061405429;

double js_sign(double x) { return x < 0 ? -1.0 : (x > 0 ? 1.0 : 0.0); }

double js_round(double x) {
  // Banker's rounding, as tfjs's Round kernel.
  const double base = std::floor(x);
  if (x - base < 0.5) return std::floor(x);
  if (x - base > 0.5) return std::ceil(x);
  return std::fmod(base, 2.0) == 0.0 ? base : base + 1.0;
}

double js_erf(double x) {
  const double sign = std::isnan(x) ? NAN : js_sign(x);
  const double v = std::fabs(x);
  const double t = 1.0 / (1.0 + kErfP * v);
  return sign * (1.0 - (((((kErfA5 * t + kErfA4) * t) + kErfA3) * t + kErfA2) * t + kErfA1) * t * std::exp(-v * v));
}

double js_softplus(double x) {
  const double threshold = std::log(1.1920928955078125e-7) + 2.0;
  const bool too_large = x > -threshold;
  const bool too_small = x < threshold;
  const double e = std::exp(x);
  if (too_small) return e;
  if (too_large) return x;
  return std::log(1.0 + e);
}

double apply(UnaryOp op, double x, const UnaryParams& p) {
  switch (op) {
    case UnaryOp::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    case UnaryOp::kRelu: return std::isnan(x) ? x : (x > 0 ? x : 0.0);
    case UnaryOp::kRelu6: return std::isnan(x) ? x : (x > 0 ? (x < 6 ? x : 6.0) : 0.0);
    case UnaryOp::kElu: return x >= 0 ? x : std::exp(x) - 1.0;
    case UnaryOp::kLeakyRelu: return x < 0 ? p.alpha * x : x;
    case UnaryOp::kTanh: return std::tanh(x);
    case UnaryOp::kExp: return std::exp(x);
    case UnaryOp::kLog: return std::log(x);
    case UnaryOp::kRsqrt: return 1.0 / std::sqrt(x);
    case UnaryOp::kSqrt: return std::sqrt(x);
    case UnaryOp::kSquare: return x * x;
    case UnaryOp::kNeg: return x * -1.0;
    case UnaryOp::kAbs: return std::fabs(x);
    case UnaryOp::kClipByValue: return x > p.beta ? p.beta : (x < p.alpha ? p.alpha : x);
    case UnaryOp::kStep: return std::isnan(x) ? NAN : (x > 0 ? 1.0 : p.alpha);
    case UnaryOp::kFloor: return std::floor(x);
    case UnaryOp::kCeil: return std::ceil(x);
    case UnaryOp::kRound: return js_round(x);
    case UnaryOp::kSign: return js_sign(x);
    case UnaryOp::kReciprocal: return 1.0 / x;
    case UnaryOp::kIsNan: return std::isnan(x) ? 1.0 : 0.0;
    case UnaryOp::kErf: return js_erf(x);
    case UnaryOp::kSoftplus: return js_softplus(x);
    case UnaryOp::kSin: return std::sin(x);
    case UnaryOp::kCos: return std::cos(x);
    case UnaryOp::kExpm1: return std::expm1(x);
    case UnaryOp::kLog1p: return std::log1p(x);
    case UnaryOp::kLogicalNot: return detail::truthy(x) ? 0.0 : 1.0;
    case UnaryOp::kSwish: return x / (1.0 + std::exp(-x));
  }
  return NAN;
}

int fast_code(UnaryOp op) {
  switch (op) {
    case UnaryOp::kSigmoid: return kernels::kF32Sigmoid;
    case UnaryOp::kRelu: return kernels::kF32Relu;
    case UnaryOp::kRelu6: return kernels::kF32Relu6;
    case UnaryOp::kLeakyRelu: return kernels::kF32LeakyRelu;
    case UnaryOp::kClipByValue: return kernels::kF32Clip;
    case UnaryOp::kNeg: return kernels::kF32Neg;
    case UnaryOp::kAbs: return kernels::kF32Abs;
    case UnaryOp::kSquare: return kernels::kF32Square;
    case UnaryOp::kSqrt: return kernels::kF32Sqrt;
    case UnaryOp::kTanh: return kernels::kF32Tanh;
    case UnaryOp::kExp: return kernels::kF32Exp;
    case UnaryOp::kSwish: return kernels::kF32Swish;
    default: return -1;
  }
}

void fast_f32(int code, const float* x, float* y, size_t n, float alpha, float beta) {
  parallel_for(n, detail::kParallelGrain / 4, [&](size_t begin, size_t end) {
    detail::f32_unary(code, x + begin, y + begin, end - begin, alpha, beta);
  });
}

struct NamedOp {
  const char* name;
  UnaryOp op;
};

const NamedOp kOps[] = {
    {"Sigmoid", UnaryOp::kSigmoid}, {"Relu", UnaryOp::kRelu},       {"Relu6", UnaryOp::kRelu6},
    {"Elu", UnaryOp::kElu},         {"LeakyRelu", UnaryOp::kLeakyRelu}, {"Tanh", UnaryOp::kTanh},
    {"Exp", UnaryOp::kExp},         {"Log", UnaryOp::kLog},         {"Rsqrt", UnaryOp::kRsqrt},
    {"Sqrt", UnaryOp::kSqrt},       {"Square", UnaryOp::kSquare},   {"Neg", UnaryOp::kNeg},
    {"Abs", UnaryOp::kAbs},         {"ClipByValue", UnaryOp::kClipByValue}, {"Step", UnaryOp::kStep},
    {"Floor", UnaryOp::kFloor},     {"Ceil", UnaryOp::kCeil},       {"Round", UnaryOp::kRound},
    {"Sign", UnaryOp::kSign},       {"Reciprocal", UnaryOp::kReciprocal}, {"IsNan", UnaryOp::kIsNan},
    {"Erf", UnaryOp::kErf},         {"Softplus", UnaryOp::kSoftplus}, {"Sin", UnaryOp::kSin},
    {"Cos", UnaryOp::kCos},         {"Expm1", UnaryOp::kExpm1},     {"Log1p", UnaryOp::kLog1p},
    {"LogicalNot", UnaryOp::kLogicalNot}, {"Swish", UnaryOp::kSwish},
};

}  // namespace

bool unary_op_from_name(const std::string& kernel, UnaryOp* op) {
  for (const NamedOp& n : kOps) {
    if (kernel == n.name) {
      *op = n.op;
      return true;
    }
  }
  return false;
}

void unary(UnaryOp op, const void* x, DType x_type, void* out, DType out_type, size_t n, const UnaryParams& params) {
  if (n == 0) return;
  const int code = fast_code(op);
  if (code >= 0 && x_type == DType::kFloat32 && out_type == DType::kFloat32) {
    fast_f32(code, static_cast<const float*>(x), static_cast<float*>(out), n, static_cast<float>(params.alpha),
             static_cast<float>(params.beta));
    return;
  }
  parallel_for(n, detail::kParallelGrain / 8, [&](size_t begin, size_t end) {
    double t[kBlock];
    for (size_t i = begin; i < end; i += kBlock) {
      const size_t m = end - i < kBlock ? end - i : kBlock;
      detail::load_block(x, x_type, i, 1, m, t);
      for (size_t k = 0; k < m; ++k) t[k] = apply(op, t[k], params);
      detail::store_block(t, out, out_type, i, m);
    }
  });
}

void sigmoid_f32(const float* x, float* y, size_t n) { fast_f32(kernels::kF32Sigmoid, x, y, n, 0.f, 0.f); }
void swish_f32(const float* x, float* y, size_t n) { fast_f32(kernels::kF32Swish, x, y, n, 0.f, 0.f); }
void tanh_f32(const float* x, float* y, size_t n) { fast_f32(kernels::kF32Tanh, x, y, n, 0.f, 0.f); }
void exp_f32(const float* x, float* y, size_t n) { fast_f32(kernels::kF32Exp, x, y, n, 0.f, 0.f); }
void relu_f32(const float* x, float* y, size_t n) { fast_f32(kernels::kF32Relu, x, y, n, 0.f, 0.f); }
void relu6_f32(const float* x, float* y, size_t n) { fast_f32(kernels::kF32Relu6, x, y, n, 0.f, 0.f); }

}  // namespace effnet
