// Binary element-wise ops with NumPy broadcasting. The output is indexed flat; each thread maps its
// index to a and b through the merged dims' strides (0 where broadcast). Values are computed as
// tfjs-backend-cpu does (float64) and stored with typed-array conversion; float32 Add/Sub/Mul/Div/
// Max/Min compute in float32, which rounds identically for these ops.
#include <string>

#include "common.cuh"
#include "effnet/broadcast.h"

namespace effnet {
namespace cuda {
namespace {

enum Op : int {
  kAdd, kSub, kMul, kDiv, kMax, kMin, kSquaredDifference, kPrelu, kPow, kMod, kFloorDiv,
  kEqual, kNotEqual, kGreater, kGreaterEqual, kLess, kLessEqual, kLogicalAnd, kLogicalOr,
};

struct NamedOp {
  const char* name;
  Op op;
};
const NamedOp kOps[] = {
    {"Add", kAdd}, {"Sub", kSub}, {"Multiply", kMul}, {"RealDiv", kDiv}, {"Maximum", kMax}, {"Minimum", kMin},
    {"SquaredDifference", kSquaredDifference}, {"Prelu", kPrelu}, {"Pow", kPow}, {"Mod", kMod},
    {"FloorDiv", kFloorDiv}, {"Equal", kEqual}, {"NotEqual", kNotEqual}, {"Greater", kGreater},
    {"GreaterEqual", kGreaterEqual}, {"Less", kLess}, {"LessEqual", kLessEqual}, {"LogicalAnd", kLogicalAnd},
    {"LogicalOr", kLogicalOr},
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

template <int OP>
__device__ __forceinline__ double apply(double a, double b) {
  if (OP == kAdd) return a + b;
  if (OP == kSub) return a - b;
  if (OP == kMul) return a * b;
  if (OP == kDiv) return a / b;
  if (OP == kMax) return isnan(a) || isnan(b) ? CUDART_NAN : (a > b ? a : b);
  if (OP == kMin) return isnan(a) || isnan(b) ? CUDART_NAN : (a < b ? a : b);
  if (OP == kSquaredDifference) { const double d = a - b; return d * d; }
  if (OP == kPrelu) return a < 0 ? b * a : a;
  if (OP == kPow) {
    if (isnan(b)) return CUDART_NAN;
    if (isinf(b) && (a == 1.0 || a == -1.0)) return CUDART_NAN;
    return pow(a, b);
  }
  if (OP == kMod) {
    const double rem = fmod(a, b);
    if ((a < 0 && b < 0) || (a >= 0 && b >= 0)) return rem;
    return fmod(rem + b, b);
  }
  if (OP == kFloorDiv) return floor(a / b);
  if (OP == kEqual) return a == b ? 1 : 0;
  if (OP == kNotEqual) return a != b ? 1 : 0;
  if (OP == kGreater) return a > b ? 1 : 0;
  if (OP == kGreaterEqual) return a >= b ? 1 : 0;
  if (OP == kLess) return a < b ? 1 : 0;
  if (OP == kLessEqual) return a <= b ? 1 : 0;
  if (OP == kLogicalAnd) return js_truthy(a) ? b : a;
  if (OP == kLogicalOr) return js_truthy(a) ? a : b;
  return CUDART_NAN;
}

template <int OP>
__device__ __forceinline__ float apply_f32(float a, float b) {
  if (OP == kAdd) return a + b;
  if (OP == kSub) return a - b;
  if (OP == kMul) return a * b;
  if (OP == kDiv) return a / b;
  if (OP == kMax) return isnan(a) || isnan(b) ? CUDART_NAN_F : (a > b ? a : b);
  return isnan(a) || isnan(b) ? CUDART_NAN_F : (a < b ? a : b);
}

struct Plan {
  int rank;
  int64_t dims[kMaxDims];
  int64_t sa[kMaxDims];
  int64_t sb[kMaxDims];
};

__device__ __forceinline__ void offsets(const Plan& p, size_t i, size_t* ia, size_t* ib) {
  size_t a = 0, b = 0;
  for (int k = p.rank - 1; k >= 0; --k) {
    const size_t d = static_cast<size_t>(p.dims[k]);
    const size_t q = i / d;
    const size_t r = i - q * d;
    a += r * p.sa[k];
    b += r * p.sb[k];
    i = q;
  }
  *ia = a;
  *ib = b;
}

template <int OP>
__global__ void binary_kernel(Plan p, const void* a, DType at, const void* b, DType bt, void* out, DType ot, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    size_t ia, ib;
    offsets(p, i, &ia, &ib);
    store_from_double(apply<OP>(load_as_double(a, at, ia), load_as_double(b, bt, ib)), out, ot, i);
  }
}

// float32 a, b, out of the ops that round like float64-then-float32.
template <int OP>
__global__ void binary_f32_kernel(Plan p, const float* __restrict__ a, const float* __restrict__ b,
                                  float* __restrict__ out, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    size_t ia, ib;
    offsets(p, i, &ia, &ib);
    out[i] = apply_f32<OP>(a[ia], b[ib]);
  }
}

Plan make_plan(const std::string& what, const Shape& a, const Shape& b, const Shape& out) {
  const BroadcastPlan bp = plan_broadcast(what, a, b, out);
  if (bp.dims.size() > static_cast<size_t>(kMaxDims)) throw Error(what + ": too many dimensions after broadcasting");
  Plan p{};
  p.rank = static_cast<int>(bp.dims.size());
  for (int k = 0; k < p.rank; ++k) {
    p.dims[k] = bp.dims[k];
    p.sa[k] = bp.sa[k];
    p.sb[k] = bp.sb[k];
  }
  return p;
}

template <int OP>
void launch(const Plan& p, const void* a, DType at, const void* b, DType bt, void* out, DType ot, size_t n,
            cudaStream_t s) {
  const bool f32 = at == DType::kFloat32 && bt == DType::kFloat32 && ot == DType::kFloat32;
  if (f32 && (OP == kAdd || OP == kSub || OP == kMul || OP == kDiv || OP == kMax || OP == kMin)) {
    binary_f32_kernel<(OP <= kMin ? OP : kAdd)><<<blocks_for(n), kThreads, 0, s>>>(
        p, static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(out), n);
  } else {
    binary_kernel<OP><<<blocks_for(n), kThreads, 0, s>>>(p, a, at, b, bt, out, ot, n);
  }
  CUDA_CHECK_LAUNCH("binary");
}

}  // namespace

bool is_binary_op(const std::string& kernel) {
  Op op;
  return lookup(kernel, &op);
}

void binary(const std::string& kernel, const void* a, DType at, const Shape& a_shape, const void* b, DType bt,
            const Shape& b_shape, void* out, DType ot, const Shape& out_shape) {
  Op op;
  if (!lookup(kernel, &op)) throw Error(kernel + ": not a binary op of the CUDA engine");
  const Plan p = make_plan(kernel, a_shape, b_shape, out_shape);
  size_t n = 1;
  for (int64_t d : out_shape) n *= static_cast<size_t>(d);
  if (n == 0) return;
  cudaStream_t s = stream();
  switch (op) {
#define EFFNET_CASE(OPC) \
  case OPC: return launch<OPC>(p, a, at, b, bt, out, ot, n, s);
    EFFNET_CASE(kAdd) EFFNET_CASE(kSub) EFFNET_CASE(kMul) EFFNET_CASE(kDiv) EFFNET_CASE(kMax) EFFNET_CASE(kMin)
    EFFNET_CASE(kSquaredDifference) EFFNET_CASE(kPrelu) EFFNET_CASE(kPow) EFFNET_CASE(kMod) EFFNET_CASE(kFloorDiv)
    EFFNET_CASE(kEqual) EFFNET_CASE(kNotEqual) EFFNET_CASE(kGreater) EFFNET_CASE(kGreaterEqual) EFFNET_CASE(kLess)
    EFFNET_CASE(kLessEqual) EFFNET_CASE(kLogicalAnd) EFFNET_CASE(kLogicalOr)
#undef EFFNET_CASE
  }
}

}  // namespace cuda
}  // namespace effnet
