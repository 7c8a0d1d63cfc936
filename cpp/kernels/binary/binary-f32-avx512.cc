// AVX-512 float32 binary microkernel (16 lanes, masked tail).
#include "kernels/vec-avx512.inc"
#include "binary.inc"
