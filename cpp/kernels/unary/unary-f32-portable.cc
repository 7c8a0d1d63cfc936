// Portable float32 unary microkernels: plain loops; transcendental functions call libm.
#include "kernels/vec-portable.inc"
#include "unary.inc"
