// AVX-512 float32 unary microkernels (16 lanes, masked tail). exp scales by 2^n with vscalefps.
#include "kernels/vec-avx512.inc"
#include "unary.inc"
