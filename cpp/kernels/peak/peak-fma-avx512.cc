// FMA peak, AVX-512: 16 accumulators cover FMA latency (4 cycles) x 2 pipes with room to spare.
#include "kernels/vec-avx512.inc"
#include "peak.h"
#include "peak-fma.inc"

namespace effnet {
double peak_fma_avx512(int64_t iterations) { return peak_fma<16>(iterations); }
}  // namespace effnet
