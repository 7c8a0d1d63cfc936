// AVX-512 float32 reductions: double accumulators for sums, NaN-tracking max/min.
#include "kernels/vec-avx512.inc"
#include "reduce.inc"
