// FMA peak, AVX2: 12 accumulators, 16 ymm registers in all.
#include "kernels/vec-avx2.inc"
#include "peak.h"
#include "peak-fma.inc"

namespace effnet {
double peak_fma_avx2(int64_t iterations) { return peak_fma<12>(iterations); }
}  // namespace effnet
