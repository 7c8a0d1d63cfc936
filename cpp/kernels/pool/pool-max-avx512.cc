// Max pooling: one output row for all channels (avx512).
#include "pool-avx512.inc"

namespace effnet {
namespace pool {
void pool_max_avx512(const RowArgs& args) { row_kernel<true>(args); }
}  // namespace pool
}  // namespace effnet
