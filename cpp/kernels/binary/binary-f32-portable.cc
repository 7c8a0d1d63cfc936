// Portable float32 binary microkernel: plain loops the compiler vectorises at SSE2.
#include <cmath>
#include <cstddef>

#include "kernels/binary/binary.h"

namespace effnet {
namespace kernels {
namespace {

struct Add { static float f(float a, float b) { return a + b; } };
struct Sub { static float f(float a, float b) { return a - b; } };
struct Mul { static float f(float a, float b) { return a * b; } };
struct Div { static float f(float a, float b) { return a / b; } };
// Math.max / Math.min: NaN when either input is NaN.
struct Max { static float f(float a, float b) { return (a != a || b != b) ? a + b : (a > b ? a : b); } };
struct Min { static float f(float a, float b) { return (a != a || b != b) ? a + b : (a < b ? a : b); } };

template <class Op>
void run(int pattern, const float* a, const float* b, float* y, size_t n) {
  if (pattern == kVecScalar) {
    const float s = b[0];
    for (size_t i = 0; i < n; ++i) y[i] = Op::f(a[i], s);
  } else if (pattern == kScalarVec) {
    const float s = a[0];
    for (size_t i = 0; i < n; ++i) y[i] = Op::f(s, b[i]);
  } else {
    for (size_t i = 0; i < n; ++i) y[i] = Op::f(a[i], b[i]);
  }
}

}  // namespace

void f32_binary_portable(int op, int pattern, const float* a, const float* b, float* y, size_t n) {
  switch (op) {
    case kF32Add: return run<Add>(pattern, a, b, y, n);
    case kF32Sub: return run<Sub>(pattern, a, b, y, n);
    case kF32Mul: return run<Mul>(pattern, a, b, y, n);
    case kF32Div: return run<Div>(pattern, a, b, y, n);
    case kF32Max: return run<Max>(pattern, a, b, y, n);
    case kF32Min: return run<Min>(pattern, a, b, y, n);
  }
}

}  // namespace kernels
}  // namespace effnet
