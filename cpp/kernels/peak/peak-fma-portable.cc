#include "peak.h"

namespace effnet {
// Plain multiply-adds on 16 independent scalars (what baseline x86-64 code can issue: SSE2, no FMA).
double peak_fma_portable(int64_t iterations) {
  float a[16];
  for (int i = 0; i < 16; ++i) a[i] = 1.f + 0.1f * static_cast<float>(i);  // distinct: no merged chains
  const float m = 0.999999f, c = 1e-7f;
  for (int64_t i = 0; i < iterations; ++i) {
    for (float& v : a) v = v * m + c;
  }
  volatile float sink = a[0] + a[15];
  (void)sink;
  return static_cast<double>(iterations) * 16 * 2;
}
}  // namespace effnet
