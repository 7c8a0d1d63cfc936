// Machine ceilings for the kernel benchmark: FMA throughput of one core per ISA level.
#pragma once
#include <cstdint>

namespace effnet {
// Each runs `iterations` rounds of independent FMA chains and returns the FLOPs performed
// (2 per lane per FMA). The caller times them.
double peak_fma_avx512(int64_t iterations);
double peak_fma_avx2(int64_t iterations);
double peak_fma_portable(int64_t iterations);
}  // namespace effnet
