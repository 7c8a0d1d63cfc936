// Portable float32 binary microkernel: plain loops the compiler vectorises at SSE2.
#include "kernels/vec-portable.inc"
#include "binary.inc"
