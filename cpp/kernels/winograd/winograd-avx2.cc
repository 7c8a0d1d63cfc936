// Winograd transforms, AVX2 (8 channels a vector).
#include <cstddef>

#include "kernels/vec-avx2.inc"
#include "winograd.h"

#define WINOGRAD_ISA avx2
#include "winograd.inc"
