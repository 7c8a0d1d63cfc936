// Measured machine ceilings, for reporting kernel efficiency.
#pragma once

#include <cstddef>

#include "effnet/isa.h"

namespace effnet {
// Single-core FMA throughput in GFLOP/s at `isa` (which must be <= detected_isa()), measured for
// about `seconds` on the calling thread.
double measure_peak_gflops(Isa isa, double seconds);
// Single-core read+write memory bandwidth in GB/s for a `bytes`-sized working set (copy loop).
double measure_copy_gbps(size_t bytes, double seconds);
}  // namespace effnet
