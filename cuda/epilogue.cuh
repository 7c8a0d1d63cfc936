// The fused epilogue on the device: bias and prelu slopes broadcast against the output, an optional
// residual, and the activation (effnet::Activation codes, formulas of effnet/activation.h).
#pragma once
#include "common.cuh"

namespace effnet {
namespace cuda {

struct DeviceOperand {
  const float* data;
  int kind;  // 0 absent, 1 one value per output column (last dim), 2 scalar, 3 general strides
  int rank;
  int64_t dims[kMaxDims];
  int64_t strides[kMaxDims];
};

struct DeviceEpilogue {
  DeviceOperand bias, prelu;
  const float* residual;
  int act;
  float alpha;
  bool trivial;  // no bias, no residual, linear
};

DeviceEpilogue to_device(const Epilogue& ep);

__device__ __forceinline__ float operand_at(const DeviceOperand& o, size_t i, size_t col) {
  switch (o.kind) {
    case 1: return o.data[col];
    case 2: return o.data[0];
    case 3: {
      int64_t off = 0;
      for (int k = o.rank - 1; k >= 0; --k) {
        const size_t d = static_cast<size_t>(o.dims[k]);
        const size_t q = i / d;
        off += static_cast<int64_t>(i - q * d) * o.strides[k];
        i = q;
      }
      return o.data[off];
    }
    default: return 0.f;
  }
}

// `i`: flat output index; `col`: index in the last dim.
__device__ __forceinline__ float apply_epilogue(const DeviceEpilogue& e, float v, size_t i, size_t col) {
  if (e.trivial) return v;
  if (e.bias.kind) v += operand_at(e.bias, i, col);
  if (e.residual) v += e.residual[i];
  switch (e.act) {
    case 1: return v < 0.f ? 0.f : v;
    case 2: return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
    case 3: return v >= 0.f ? v : expm1f(v);
    case 4: return v < 0.f ? e.alpha * v : v;
    case 5: return v < 0.f ? operand_at(e.prelu, i, col) * v : v;
    case 6: return 1.f / (1.f + expf(-v));
    case 7: return v / (1.f + expf(-v));
    default: return v;
  }
}

}  // namespace cuda
}  // namespace effnet
