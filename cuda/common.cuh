// Shared pieces of the CUDA engine: error checks that turn CUDA errors into effnet::Error, the
// engine's stream, launch helpers, and typed loads/stores with JavaScript typed-array semantics.
#pragma once
#include <cuda_runtime.h>
#include <math_constants.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "effnet/common.h"
#include "effnet_cuda/cuda.h"

namespace effnet {
namespace cuda {

// Throws effnet::Error "CUDA error <name>: <message> (<what>)".
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line);

#define CUDA_CHECK(expr)                                                             \
  do {                                                                               \
    cudaError_t effnet_cuda_err_ = (expr);                                           \
    if (effnet_cuda_err_ != cudaSuccess) {                                           \
      ::effnet::cuda::throw_cuda_error(effnet_cuda_err_, #expr, __FILE__, __LINE__); \
    }                                                                                \
  } while (0)

// Checks the last kernel launch (launch configuration errors; asynchronous faults surface at the
// next synchronising call).
#define CUDA_CHECK_LAUNCH(name) CUDA_CHECK(cudaGetLastError())

// The stream every op of the engine is queued on (created on first use, after require_device()).
cudaStream_t stream();

constexpr int kThreads = 256;

// Blocks for n elements with a grid-stride loop: enough to fill the device, never over the limit.
inline unsigned blocks_for(size_t n, int threads = kThreads) {
  size_t b = (n + threads - 1) / threads;
  const size_t cap = 65535u * 8u;
  if (b > cap) b = cap;
  if (b == 0) b = 1;
  return static_cast<unsigned>(b);
}

// ---- typed loads and stores (JavaScript typed-array conversions) -------------------------------

__device__ __forceinline__ double load_as_double(const void* p, DType t, size_t i) {
  switch (t) {
    case DType::kFloat32: return static_cast<const float*>(p)[i];
    case DType::kInt32: return static_cast<const int32_t*>(p)[i];
    default: return static_cast<const uint8_t*>(p)[i];
  }
}

// ECMAScript ToInt32.
__device__ __forceinline__ int32_t js_to_int32(double d) {
  if (d >= -2147483648.0 && d <= 2147483647.0) return static_cast<int32_t>(d);
  if (!isfinite(d)) return 0;
  double m = fmod(trunc(d), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

// ECMAScript ToUint8 (tfjs's bool storage).
__device__ __forceinline__ uint8_t js_to_uint8(double d) {
  if (d >= 0.0 && d < 256.0) return static_cast<uint8_t>(d);
  if (!isfinite(d)) return 0;
  double m = fmod(trunc(d), 256.0);
  if (m < 0) m += 256.0;
  return static_cast<uint8_t>(m);
}

__device__ __forceinline__ void store_from_double(double v, void* p, DType t, size_t i) {
  switch (t) {
    case DType::kFloat32: static_cast<float*>(p)[i] = static_cast<float>(v); break;
    case DType::kInt32: static_cast<int32_t*>(p)[i] = js_to_int32(v); break;
    default: static_cast<uint8_t*>(p)[i] = js_to_uint8(v); break;
  }
}

__device__ __forceinline__ bool js_truthy(double d) { return d != 0.0 && !isnan(d); }

// Up to this many dims after merging (tfjs tensors have rank <= 6 in practice; merged plans fewer).
constexpr int kMaxDims = 8;

std::string shape_str(const Shape& s);

}  // namespace cuda
}  // namespace effnet
