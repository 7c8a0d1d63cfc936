// AVX2 float32 unary microkernels (8 lanes, masked-load tail). exp scales by 2^n with two
// exponent-field multiplies, so overflow gives inf and underflow subnormals or zero.
#include "kernels/vec-avx2.inc"
#include "unary.inc"
