// AVX2 float32 reductions: double accumulators for sums, NaN-tracking max/min.
#include "kernels/vec-avx2.inc"
#include "reduce.inc"
