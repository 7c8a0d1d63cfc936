// Winograd transforms, AVX-512 (16 channels a vector).
#include <cstddef>

#include "kernels/vec-avx512.inc"
#include "winograd.h"

#define WINOGRAD_ISA avx512
#include "winograd.inc"
