// Unary element-wise ops with tfjs-backend-cpu's formulas (float64, stored with typed-array
// conversion). Float32 Relu/Relu6/Neg/Abs/Square/LeakyRelu/ClipByValue are computed in float32
// (exact either way).
#include <string>

#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

enum Op : int {
  kSigmoid, kRelu, kRelu6, kElu, kLeakyRelu, kTanh, kExp, kLog, kRsqrt, kSqrt, kSquare, kNeg, kAbs,
  kClipByValue, kStep, kFloor, kCeil, kRound, kSign, kReciprocal, kIsNan, kErf, kSoftplus, kSin, kCos,
  kExpm1, kLog1p, kLogicalNot, kSwish, kNumOps
};

struct NamedOp {
  const char* name;
  Op op;
};
const NamedOp kOps[] = {
    {"Sigmoid", kSigmoid}, {"Relu", kRelu}, {"Relu6", kRelu6}, {"Elu", kElu}, {"LeakyRelu", kLeakyRelu},
    {"Tanh", kTanh}, {"Exp", kExp}, {"Log", kLog}, {"Rsqrt", kRsqrt}, {"Sqrt", kSqrt}, {"Square", kSquare},
    {"Neg", kNeg}, {"Abs", kAbs}, {"ClipByValue", kClipByValue}, {"Step", kStep}, {"Floor", kFloor},
    {"Ceil", kCeil}, {"Round", kRound}, {"Sign", kSign}, {"Reciprocal", kReciprocal}, {"IsNan", kIsNan},
    {"Erf", kErf}, {"Softplus", kSoftplus}, {"Sin", kSin}, {"Cos", kCos}, {"Expm1", kExpm1},
    {"Log1p", kLog1p}, {"LogicalNot", kLogicalNot}, {"Swish", kSwish},
};

bool lookup(const std::string& kernel, Op* op) {
  for (const NamedOp& n : kOps) {
    if (kernel == n.name) {
      *op = n.op;
      return true;
    }
  }
  return false;
}

__device__ __forceinline__ double js_sign(double x) { return x < 0 ? -1.0 : (x > 0 ? 1.0 : 0.0); }

__device__ __forceinline__ double js_round(double x) {
  const double base = floor(x);
  if (x - base < 0.5) return floor(x);
  if (x - base > 0.5) return ceil(x);
  return fmod(base, 2.0) == 0.0 ? base : base + 1.0;
}

__device__ __forceinline__ double js_erf(double x) {
  const double p = 0.3275911, a1 = 0.254829592, a2 = -0.284496736, a3 = 1.421413741, a4 = -1.453152027,
               a5 = 1.061405429;
  const double sign = isnan(x) ? CUDART_NAN : js_sign(x);
  const double v = fabs(x);
  const double t = 1.0 / (1.0 + p * v);
  return sign * (1.0 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * exp(-v * v));
}

__device__ __forceinline__ double js_softplus(double x) {
  const double threshold = log(1.1920928955078125e-7) + 2.0;
  const double e = exp(x);
  if (x < threshold) return e;
  if (x > -threshold) return x;
  return log(1.0 + e);
}

template <int OP>
__device__ __forceinline__ double apply(double x, double alpha, double beta) {
  switch (OP) {
    case kSigmoid: return 1.0 / (1.0 + exp(-x));
    case kRelu: return isnan(x) ? x : (x > 0 ? x : 0.0);
    case kRelu6: return isnan(x) ? x : (x > 0 ? (x < 6 ? x : 6.0) : 0.0);
    case kElu: return x >= 0 ? x : exp(x) - 1.0;
    case kLeakyRelu: return x < 0 ? alpha * x : x;
    case kTanh: return tanh(x);
    case kExp: return exp(x);
    case kLog: return log(x);
    case kRsqrt: return 1.0 / sqrt(x);
    case kSqrt: return sqrt(x);
    case kSquare: return x * x;
    case kNeg: return x * -1.0;
    case kAbs: return fabs(x);
    case kClipByValue: return x > beta ? beta : (x < alpha ? alpha : x);
    case kStep: return isnan(x) ? CUDART_NAN : (x > 0 ? 1.0 : alpha);
    case kFloor: return floor(x);
    case kCeil: return ceil(x);
    case kRound: return js_round(x);
    case kSign: return js_sign(x);
    case kReciprocal: return 1.0 / x;
    case kIsNan: return isnan(x) ? 1.0 : 0.0;
    case kErf: return js_erf(x);
    case kSoftplus: return js_softplus(x);
    case kSin: return sin(x);
    case kCos: return cos(x);
    case kExpm1: return expm1(x);
    case kLog1p: return log1p(x);
    case kLogicalNot: return js_truthy(x) ? 0.0 : 1.0;
    case kSwish: return x / (1.0 + exp(-x));
  }
  return CUDART_NAN;
}

template <int OP>
__global__ void unary_kernel(const void* x, DType xt, void* out, DType ot, size_t n, double alpha, double beta) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    store_from_double(apply<OP>(load_as_double(x, xt, i), alpha, beta), out, ot, i);
  }
}

template <int OP>
void launch(const void* x, DType xt, void* out, DType ot, size_t n, const UnaryParams& p, cudaStream_t s) {
  unary_kernel<OP><<<blocks_for(n), kThreads, 0, s>>>(x, xt, out, ot, n, p.alpha, p.beta);
  CUDA_CHECK_LAUNCH("unary");
}

template <int OP>
void dispatch(int op, const void* x, DType xt, void* out, DType ot, size_t n, const UnaryParams& p, cudaStream_t s) {
  if constexpr (OP < kNumOps) {
    if (op == OP) return launch<OP>(x, xt, out, ot, n, p, s);
    dispatch<OP + 1>(op, x, xt, out, ot, n, p, s);
  }
}

}  // namespace

bool is_unary_op(const std::string& kernel) {
  Op op;
  return lookup(kernel, &op);
}

void unary(const std::string& kernel, const void* x, DType xt, void* out, DType ot, size_t n, const UnaryParams& p) {
  Op op;
  if (!lookup(kernel, &op)) throw Error(kernel + ": not a unary op of the CUDA engine");
  if (n == 0) return;
  dispatch<0>(op, x, xt, out, ot, n, p, stream());
}

}  // namespace cuda
}  // namespace effnet
