// Shared pieces of the element-wise and reduction ops (baseline code only; not for ISA files):
// JavaScript typed-array conversions and the ISA dispatch of the float32 microkernels.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "effnet/common.h"
#include "effnet/isa.h"
#include "kernels/binary/binary.h"
#include "kernels/reduce/reduce.h"
#include "kernels/unary/unary.h"

namespace effnet {
namespace detail {

// Elements per block of the float64 fallback paths.
constexpr size_t kBlock = 256;
// Elements below which an op stays on the calling thread.
constexpr size_t kParallelGrain = 32768;

// ECMAScript ToInt32: what an Int32Array stores for a number.
inline int32_t to_int32(double d) {
  if (d >= -2147483648.0 && d <= 2147483647.0) return static_cast<int32_t>(d);
  if (!std::isfinite(d)) return 0;
  double m = std::fmod(std::trunc(d), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

// ECMAScript ToUint8: what a Uint8Array (tfjs's bool storage) stores for a number.
inline uint8_t to_uint8(double d) {
  if (d >= 0.0 && d < 256.0) return static_cast<uint8_t>(d);
  if (!std::isfinite(d)) return 0;
  double m = std::fmod(std::trunc(d), 256.0);
  if (m < 0) m += 256.0;
  return static_cast<uint8_t>(m);
}

// JavaScript truthiness of a number.
inline bool truthy(double d) { return d != 0.0 && !std::isnan(d); }

// dst[i] = element (offset + i * stride) of p, as a double.
inline void load_block(const void* p, DType type, size_t offset, size_t stride, size_t n, double* dst) {
  switch (type) {
    case DType::kFloat32: {
      const float* s = static_cast<const float*>(p) + offset;
      for (size_t i = 0; i < n; ++i) dst[i] = s[i * stride];
      break;
    }
    case DType::kInt32: {
      const int32_t* s = static_cast<const int32_t*>(p) + offset;
      for (size_t i = 0; i < n; ++i) dst[i] = s[i * stride];
      break;
    }
    case DType::kBool: {
      const uint8_t* s = static_cast<const uint8_t*>(p) + offset;
      for (size_t i = 0; i < n; ++i) dst[i] = s[i * stride];
      break;
    }
  }
}

inline double load_one(const void* p, DType type, size_t index) {
  switch (type) {
    case DType::kFloat32: return static_cast<const float*>(p)[index];
    case DType::kInt32: return static_cast<const int32_t*>(p)[index];
    case DType::kBool: return static_cast<const uint8_t*>(p)[index];
  }
  return 0;
}

// Elements offset..offset+n of p = src, converted as a typed array of `type` would.
inline void store_block(const double* src, void* p, DType type, size_t offset, size_t n) {
  switch (type) {
    case DType::kFloat32: {
      float* d = static_cast<float*>(p) + offset;
      for (size_t i = 0; i < n; ++i) d[i] = static_cast<float>(src[i]);
      break;
    }
    case DType::kInt32: {
      int32_t* d = static_cast<int32_t*>(p) + offset;
      for (size_t i = 0; i < n; ++i) d[i] = to_int32(src[i]);
      break;
    }
    case DType::kBool: {
      uint8_t* d = static_cast<uint8_t*>(p) + offset;
      for (size_t i = 0; i < n; ++i) d[i] = to_uint8(src[i]);
      break;
    }
  }
}

inline void store_one(double v, void* p, DType type, size_t index) { store_block(&v, p, type, index, 1); }

// ---- ISA dispatch of the float32 microkernels ----------------------------------------------

inline void f32_binary(int op, int pattern, const float* a, const float* b, float* y, size_t n) {
  switch (active_isa()) {
    case Isa::kAvx512: return kernels::f32_binary_avx512(op, pattern, a, b, y, n);
    case Isa::kAvx2: return kernels::f32_binary_avx2(op, pattern, a, b, y, n);
    case Isa::kPortable: return kernels::f32_binary_portable(op, pattern, a, b, y, n);
  }
}

inline void f32_unary(int op, const float* x, float* y, size_t n, float alpha, float beta) {
  switch (active_isa()) {
    case Isa::kAvx512: return kernels::f32_unary_avx512(op, x, y, n, alpha, beta);
    case Isa::kAvx2: return kernels::f32_unary_avx2(op, x, y, n, alpha, beta);
    case Isa::kPortable: return kernels::f32_unary_portable(op, x, y, n, alpha, beta);
  }
}

inline float f32_raddstoreexpminusmax(const float* x, float max, float* y, size_t n) {
  switch (active_isa()) {
    case Isa::kAvx512: return kernels::f32_raddstoreexpminusmax_avx512(x, max, y, n);
    case Isa::kAvx2: return kernels::f32_raddstoreexpminusmax_avx2(x, max, y, n);
    case Isa::kPortable: break;
  }
  return kernels::f32_raddstoreexpminusmax_portable(x, max, y, n);
}

inline double f32_rsum(const float* x, size_t n) {
  switch (active_isa()) {
    case Isa::kAvx512: return kernels::f32_rsum_avx512(x, n);
    case Isa::kAvx2: return kernels::f32_rsum_avx2(x, n);
    case Isa::kPortable: break;
  }
  return kernels::f32_rsum_portable(x, n);
}

using RowSumKernel = void (*)(const float* x, size_t rows, size_t cols, size_t stride, double* acc);

// The row-sum microkernel of `isa`, for ops that choose the ISA once per call (the fused head) and run
// it on every worker.
inline RowSumKernel f32_rsum_rows_kernel(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return kernels::f32_rsum_rows_avx512;
    case Isa::kAvx2: return kernels::f32_rsum_rows_avx2;
    case Isa::kPortable: break;
  }
  return kernels::f32_rsum_rows_portable;
}

// The same with float32 partial sums of 8 rows (kernels/reduce/reduce.h), for the fused MBConv block's
// squeeze-excitation means.
inline RowSumKernel f32_rsum_rows_blocked_kernel(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return kernels::f32_rsum_rows_blocked_avx512;
    case Isa::kAvx2: return kernels::f32_rsum_rows_blocked_avx2;
    case Isa::kPortable: break;
  }
  return kernels::f32_rsum_rows_blocked_portable;
}

inline void f32_rsum_rows(const float* x, size_t rows, size_t cols, size_t stride, double* acc) {
  f32_rsum_rows_kernel(active_isa())(x, rows, cols, stride, acc);
}

inline float f32_rmax(const float* x, size_t n) {
  switch (active_isa()) {
    case Isa::kAvx512: return kernels::f32_rmax_avx512(x, n);
    case Isa::kAvx2: return kernels::f32_rmax_avx2(x, n);
    case Isa::kPortable: break;
  }
  return kernels::f32_rmax_portable(x, n);
}

inline float f32_rmin(const float* x, size_t n) {
  switch (active_isa()) {
    case Isa::kAvx512: return kernels::f32_rmin_avx512(x, n);
    case Isa::kAvx2: return kernels::f32_rmin_avx2(x, n);
    case Isa::kPortable: break;
  }
  return kernels::f32_rmin_portable(x, n);
}

inline void f32_rminmax_rows(bool is_max, const float* x, size_t rows, size_t cols, size_t stride, float* acc) {
  switch (active_isa()) {
    case Isa::kAvx512:
      return is_max ? kernels::f32_rmax_rows_avx512(x, rows, cols, stride, acc)
                    : kernels::f32_rmin_rows_avx512(x, rows, cols, stride, acc);
    case Isa::kAvx2:
      return is_max ? kernels::f32_rmax_rows_avx2(x, rows, cols, stride, acc)
                    : kernels::f32_rmin_rows_avx2(x, rows, cols, stride, acc);
    case Isa::kPortable:
      return is_max ? kernels::f32_rmax_rows_portable(x, rows, cols, stride, acc)
                    : kernels::f32_rmin_rows_portable(x, rows, cols, stride, acc);
  }
}

}  // namespace detail
}  // namespace effnet
