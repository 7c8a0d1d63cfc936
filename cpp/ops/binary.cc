// Binary element-wise ops with NumPy broadcasting. The output is walked as runs of its innermost
// (coalesced) dimension; each run reads a and b with stride 1 (a vector) or 0 (a broadcast value).
// Float32 Add/Sub/Mul/Div/Max/Min runs use the vector microkernels (one rounding, as tfjs's
// float64 result rounded to float32); every other case computes in float64 like tfjs and stores
// with typed-array conversion.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "effnet/broadcast.h"
#include "effnet/elementwise.h"
#include "effnet/threadpool.h"
#include "ops/elementwise_internal.h"

namespace effnet {
namespace {

using detail::kBlock;

struct Run {
  size_t a;    // offset of the run's first a element
  size_t b;
  size_t out;
  size_t len;
};

// Output dims with the strides of a and b (0 where broadcast), size-1 dims dropped and
// neighbouring dims merged where both operands stay contiguous. The last dim is the run.
struct Plan {
  std::vector<size_t> dims, sa, sb;
  size_t rows = 1;  // product of all dims but the last
};

Plan make_plan(const char* what, const Shape& a, const Shape& b, const Shape& out) {
  const BroadcastPlan bp = plan_broadcast(what, a, b, out);
  Plan p;
  p.dims.assign(bp.dims.begin(), bp.dims.end());
  p.sa.assign(bp.sa.begin(), bp.sa.end());
  p.sb.assign(bp.sb.begin(), bp.sb.end());
  for (size_t i = 0; i + 1 < p.dims.size(); ++i) p.rows *= p.dims[i];
  return p;
}

// Calls run_fn(Run) over the whole output, threaded for large outputs.
template <class RunFn>
void walk(const Plan& p, size_t grain, const RunFn& run_fn) {
  const size_t len = p.dims.back();
  const size_t ia = p.sa.back(), ib = p.sb.back();
  if (p.rows == 1) {
    parallel_for(len, grain, [&](size_t begin, size_t end) {
      run_fn(Run{begin * ia, begin * ib, begin, end - begin});
    });
    return;
  }
  const size_t outer = p.dims.size() - 1;
  const size_t row_grain = grain / len + 1;
  parallel_for(p.rows, row_grain, [&](size_t begin, size_t end) {
    std::vector<size_t> idx(outer);
    size_t a = 0, b = 0, rem = begin;
    for (size_t k = outer; k-- > 0;) {
      idx[k] = rem % p.dims[k];
      rem /= p.dims[k];
      a += idx[k] * p.sa[k];
      b += idx[k] * p.sb[k];
    }
    for (size_t r = begin; r < end; ++r) {
      run_fn(Run{a, b, r * len, len});
      for (size_t k = outer; k-- > 0;) {
        a += p.sa[k];
        b += p.sb[k];
        if (++idx[k] < p.dims[k]) break;
        a -= p.sa[k] * p.dims[k];
        b -= p.sb[k] * p.dims[k];
        idx[k] = 0;
      }
    }
  });
}

// ---- float64 op definitions (tfjs-backend-cpu's formulas) ------------------------------------

struct AddOp { static double f(double a, double b) { return a + b; } };
struct SubOp { static double f(double a, double b) { return a - b; } };
struct MulOp { static double f(double a, double b) { return a * b; } };
struct DivOp { static double f(double a, double b) { return a / b; } };
struct MaxOp { static double f(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b); } };
struct MinOp { static double f(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b); } };
struct SquaredDifferenceOp { static double f(double a, double b) { const double d = a - b; return d * d; } };
struct PreluOp { static double f(double x, double alpha) { return x < 0 ? alpha * x : x; } };
struct PowOp {
  // Math.pow differs from C's pow for pow(x, NaN) and pow(+-1, +-Infinity): both NaN in JavaScript.
  static double f(double a, double b) {
    if (std::isnan(b)) return NAN;
    if (std::isinf(b) && (a == 1.0 || a == -1.0)) return NAN;
    return std::pow(a, b);
  }
};
struct ModOp {
  static double f(double a, double b) {
    const double rem = std::fmod(a, b);
    if ((a < 0 && b < 0) || (a >= 0 && b >= 0)) return rem;
    return std::fmod(rem + b, b);
  }
};
struct FloorDivOp { static double f(double a, double b) { return std::floor(a / b); } };
struct EqualOp { static double f(double a, double b) { return a == b ? 1 : 0; } };
struct NotEqualOp { static double f(double a, double b) { return a != b ? 1 : 0; } };
struct GreaterOp { static double f(double a, double b) { return a > b ? 1 : 0; } };
struct GreaterEqualOp { static double f(double a, double b) { return a >= b ? 1 : 0; } };
struct LessOp { static double f(double a, double b) { return a < b ? 1 : 0; } };
struct LessEqualOp { static double f(double a, double b) { return a <= b ? 1 : 0; } };
struct LogicalAndOp { static double f(double a, double b) { return detail::truthy(a) ? b : a; } };
struct LogicalOrOp { static double f(double a, double b) { return detail::truthy(a) ? a : b; } };

struct Operands {
  const void* a;
  DType at;
  const void* b;
  DType bt;
  void* out;
  DType ot;
};

template <class Op>
void generic(const Plan& p, const Operands& o) {
  const size_t ia = p.sa.back(), ib = p.sb.back();
  walk(p, detail::kParallelGrain / 4, [&](const Run& r) {
    double ta[kBlock], tb[kBlock];
    for (size_t done = 0; done < r.len; done += kBlock) {
      const size_t m = r.len - done < kBlock ? r.len - done : kBlock;
      detail::load_block(o.a, o.at, r.a + done * ia, ia, m, ta);
      detail::load_block(o.b, o.bt, r.b + done * ib, ib, m, tb);
      for (size_t i = 0; i < m; ++i) ta[i] = Op::f(ta[i], tb[i]);
      detail::store_block(ta, o.out, o.ot, r.out + done, m);
    }
  });
}

// Short runs where one operand is a vector repeated along the next-outer dim (a [.., C] tensor with
// a [C] vector, NHWC with an [N,1,1,C] gate, C small): the vector is tiled into a few hundred
// elements so each microkernel call covers many runs instead of one.
bool periodic_f32(int kop, const Plan& p, const float* a, const float* b, float* out) {
  const size_t nd = p.dims.size();
  if (nd < 2) return false;
  const size_t len = p.dims[nd - 1];
  if (len >= 128 || p.sa[nd - 1] != 1 || p.sb[nd - 1] != 1) return false;
  const bool b_periodic = p.sa[nd - 2] == len && p.sb[nd - 2] == 0;
  const bool a_periodic = p.sb[nd - 2] == len && p.sa[nd - 2] == 0;
  if (!a_periodic && !b_periodic) return false;
  constexpr size_t kTile = 256;
  const size_t per_call = kTile / len;  // runs per microkernel call, >= 2
  const size_t group = p.dims[nd - 2];  // runs that share one copy of the vector
  const size_t outer_dims = nd - 2;
  parallel_for(p.rows, detail::kParallelGrain / len + 1, [&](size_t begin, size_t end) {
    float tile[kTile];
    size_t g = begin;
    while (g < end) {
      const size_t o = g / group, r = g % group;
      size_t offa = 0, offb = 0, rem = o;
      for (size_t k = outer_dims; k-- > 0;) {
        const size_t idx = rem % p.dims[k];
        rem /= p.dims[k];
        offa += idx * p.sa[k];
        offb += idx * p.sb[k];
      }
      const size_t runs = end - g < group - r ? end - g : group - r;
      const float* vec = b_periodic ? b + offb : a + offa;
      const size_t reps = runs < per_call ? runs : per_call;
      for (size_t j = 0; j < reps; ++j) std::memcpy(tile + j * len, vec, len * sizeof(float));
      const float* contiguous = b_periodic ? a + offa + r * len : b + offb + r * len;
      float* y = out + g * len;
      for (size_t done = 0; done < runs; done += per_call) {
        const size_t n = (runs - done < per_call ? runs - done : per_call) * len;
        if (b_periodic) {
          detail::f32_binary(kop, kernels::kVecVec, contiguous + done * len, tile, y + done * len, n);
        } else {
          detail::f32_binary(kop, kernels::kVecVec, tile, contiguous + done * len, y + done * len, n);
        }
      }
      g += runs;
    }
  });
  return true;
}

void fast_f32(int kop, const Plan& p, const float* a, const float* b, float* out) {
  if (periodic_f32(kop, p, a, b, out)) return;
  const size_t ia = p.sa.back(), ib = p.sb.back();
  int pattern = kernels::kVecVec;
  if (ia == 1 && ib == 0) pattern = kernels::kVecScalar;
  if (ia == 0 && ib == 1) pattern = kernels::kScalarVec;
  walk(p, detail::kParallelGrain, [&](const Run& r) {
    detail::f32_binary(kop, pattern, a + r.a, b + r.b, out + r.out, r.len);
  });
}

struct NamedOp {
  const char* name;
  BinaryOp op;
};

const NamedOp kOps[] = {
    {"Add", BinaryOp::kAdd},
    {"Sub", BinaryOp::kSub},
    {"Multiply", BinaryOp::kMul},
    {"RealDiv", BinaryOp::kDiv},
    {"Maximum", BinaryOp::kMax},
    {"Minimum", BinaryOp::kMin},
    {"SquaredDifference", BinaryOp::kSquaredDifference},
    {"Prelu", BinaryOp::kPrelu},
    {"Pow", BinaryOp::kPow},
    {"Mod", BinaryOp::kMod},
    {"FloorDiv", BinaryOp::kFloorDiv},
    {"Equal", BinaryOp::kEqual},
    {"NotEqual", BinaryOp::kNotEqual},
    {"Greater", BinaryOp::kGreater},
    {"GreaterEqual", BinaryOp::kGreaterEqual},
    {"Less", BinaryOp::kLess},
    {"LessEqual", BinaryOp::kLessEqual},
    {"LogicalAnd", BinaryOp::kLogicalAnd},
    {"LogicalOr", BinaryOp::kLogicalOr},
};

const char* op_name(BinaryOp op) {
  for (const NamedOp& n : kOps) {
    if (n.op == op) return n.name;
  }
  return "binary";
}

}  // namespace

bool binary_op_from_name(const std::string& kernel, BinaryOp* op) {
  for (const NamedOp& n : kOps) {
    if (kernel == n.name) {
      *op = n.op;
      return true;
    }
  }
  return false;
}

void binary(BinaryOp op, const void* a, DType a_type, const Shape& a_shape, const void* b, DType b_type,
            const Shape& b_shape, void* out, DType out_type, const Shape& out_shape) {
  const Plan p = make_plan(op_name(op), a_shape, b_shape, out_shape);
  for (size_t d : p.dims) {
    if (d == 0) return;
  }
  if (a_type == DType::kFloat32 && b_type == DType::kFloat32 && out_type == DType::kFloat32) {
    int kop = -1;
    switch (op) {
      case BinaryOp::kAdd: kop = kernels::kF32Add; break;
      case BinaryOp::kSub: kop = kernels::kF32Sub; break;
      case BinaryOp::kMul: kop = kernels::kF32Mul; break;
      case BinaryOp::kDiv: kop = kernels::kF32Div; break;
      case BinaryOp::kMax: kop = kernels::kF32Max; break;
      case BinaryOp::kMin: kop = kernels::kF32Min; break;
      default: break;
    }
    if (kop >= 0) {
      fast_f32(kop, p, static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(out));
      return;
    }
  }
  const Operands o{a, a_type, b, b_type, out, out_type};
  switch (op) {
    case BinaryOp::kAdd: return generic<AddOp>(p, o);
    case BinaryOp::kSub: return generic<SubOp>(p, o);
    case BinaryOp::kMul: return generic<MulOp>(p, o);
    case BinaryOp::kDiv: return generic<DivOp>(p, o);
    case BinaryOp::kMax: return generic<MaxOp>(p, o);
    case BinaryOp::kMin: return generic<MinOp>(p, o);
    case BinaryOp::kSquaredDifference: return generic<SquaredDifferenceOp>(p, o);
    case BinaryOp::kPrelu: return generic<PreluOp>(p, o);
    case BinaryOp::kPow: return generic<PowOp>(p, o);
    case BinaryOp::kMod: return generic<ModOp>(p, o);
    case BinaryOp::kFloorDiv: return generic<FloorDivOp>(p, o);
    case BinaryOp::kEqual: return generic<EqualOp>(p, o);
    case BinaryOp::kNotEqual: return generic<NotEqualOp>(p, o);
    case BinaryOp::kGreater: return generic<GreaterOp>(p, o);
    case BinaryOp::kGreaterEqual: return generic<GreaterEqualOp>(p, o);
    case BinaryOp::kLess: return generic<LessOp>(p, o);
    case BinaryOp::kLessEqual: return generic<LessEqualOp>(p, o);
    case BinaryOp::kLogicalAnd: return generic<LogicalAndOp>(p, o);
    case BinaryOp::kLogicalOr: return generic<LogicalOrOp>(p, o);
  }
  throw Error("binary: unknown op");
}

void add_f32(const float* a, const float* b, float* y, size_t n, bool b_scalar) {
  parallel_for(n, detail::kParallelGrain, [&](size_t begin, size_t end) {
    detail::f32_binary(kernels::kF32Add, b_scalar ? kernels::kVecScalar : kernels::kVecVec, a + begin,
                       b_scalar ? b : b + begin, y + begin, end - begin);
  });
}

void mul_f32(const float* a, const float* b, float* y, size_t n, bool b_scalar) {
  parallel_for(n, detail::kParallelGrain, [&](size_t begin, size_t end) {
    detail::f32_binary(kernels::kF32Mul, b_scalar ? kernels::kVecScalar : kernels::kVecVec, a + begin,
                       b_scalar ? b : b + begin, y + begin, end - begin);
  });
}

}  // namespace effnet
