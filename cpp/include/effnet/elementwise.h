// Element-wise ops, reductions and softmax of the CPU engine, with tfjs-backend-cpu's semantics:
// values are computed as tfjs does in float64 and stored in the output's dtype the way a JavaScript
// typed array stores them (float32 rounding, int32 wrap-around, NaN/Inf -> 0 for integers).
// Float32 inputs of the common ops take vectorised paths (AVX-512 / AVX2 / portable).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "effnet/common.h"

namespace effnet {

using Shape = std::vector<int64_t>;

// ---- binary ops with NumPy broadcasting ---------------------------------------------------

enum class BinaryOp : int32_t {
  kAdd, kSub, kMul, kDiv, kMax, kMin, kSquaredDifference, kPrelu, kPow, kMod, kFloorDiv,
  kEqual, kNotEqual, kGreater, kGreaterEqual, kLess, kLessEqual, kLogicalAnd, kLogicalOr,
};

// The op of a tfjs kernel name ("Add", "RealDiv", "Maximum", ...); false when there is none.
bool binary_op_from_name(const std::string& kernel, BinaryOp* op);

// out = a (op) b, broadcast to out_shape (which must be the broadcast of a_shape and b_shape).
void binary(BinaryOp op, const void* a, DType a_type, const Shape& a_shape, const void* b, DType b_type,
            const Shape& b_shape, void* out, DType out_type, const Shape& out_shape);

// Float32 helpers for other ops: y = a (op) b on n contiguous elements (b_scalar: b[0] for all).
void add_f32(const float* a, const float* b, float* y, size_t n, bool b_scalar = false);
void mul_f32(const float* a, const float* b, float* y, size_t n, bool b_scalar = false);

// out = sum of inputs (same shape, n elements each), accumulated in input order.
void add_n(const std::vector<const void*>& inputs, DType type, void* out, size_t n);

// out[i] = cond == 1 ? t : e. cond has n elements (element-wise) or one per row of t (rank-1
// condition selecting rows). t and e have n_out elements.
void select(const void* cond, DType cond_type, size_t cond_size, const void* t, DType t_type, const void* e,
            DType e_type, void* out, DType out_type, size_t n_out);

// ---- unary ops -----------------------------------------------------------------------------

enum class UnaryOp : int32_t {
  kSigmoid, kRelu, kRelu6, kElu, kLeakyRelu, kTanh, kExp, kLog, kRsqrt, kSqrt, kSquare, kNeg, kAbs,
  kClipByValue, kStep, kFloor, kCeil, kRound, kSign, kReciprocal, kIsNan, kErf, kSoftplus, kSin, kCos,
  kExpm1, kLog1p, kLogicalNot, kSwish,
};

bool unary_op_from_name(const std::string& kernel, UnaryOp* op);

// alpha: LeakyRelu's slope, Step's value for x <= 0, ClipByValue's minimum; beta: ClipByValue's maximum.
struct UnaryParams {
  double alpha = 0;
  double beta = 0;
};

void unary(UnaryOp op, const void* x, DType x_type, void* out, DType out_type, size_t n, const UnaryParams& params);

// Float32 activations for other ops (vectorised, threaded for large n).
void sigmoid_f32(const float* x, float* y, size_t n);
void swish_f32(const float* x, float* y, size_t n);
void tanh_f32(const float* x, float* y, size_t n);
void exp_f32(const float* x, float* y, size_t n);
void relu_f32(const float* x, float* y, size_t n);
void relu6_f32(const float* x, float* y, size_t n);

// ---- reductions ----------------------------------------------------------------------------

enum class ReduceOp : int32_t { kSum, kMean, kMax, kMin, kProd, kAll, kAny };

bool reduce_op_from_name(const std::string& kernel, ReduceOp* op);

// Reduces `axes` (each in [0, rank), any order, duplicates ignored) of x; out holds the kept
// dimensions in order. An empty reduction gives 0 (Sum, Mean), 1 (Prod), NaN/0 (Max, Min).
void reduce(ReduceOp op, const void* x, DType x_type, const Shape& shape, const std::vector<int64_t>& axes,
            void* out, DType out_type);

// Index of the first maximum (is_max) or minimum along `axis`; strict comparison as tfjs.
void arg_reduce(bool is_max, const void* x, DType x_type, const Shape& shape, int64_t axis, int32_t* out);

// Float32 reductions for other ops: global average pooling of NHWC (n, hw, c) -> (n, c).
void mean_spatial_f32(const float* x, float* out, size_t n, size_t hw, size_t c);

// ---- softmax -------------------------------------------------------------------------------

// Softmax over the last axis of a (rows, cols) float32 matrix: exp(x - max) / sum.
void softmax_f32(const float* x, float* y, size_t rows, size_t cols);

}  // namespace effnet
