// AVX2 float32 binary microkernel (8 lanes, masked-load tail).
#include "kernels/vec-avx2.inc"
#include "binary.inc"
