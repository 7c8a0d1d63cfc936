// Average pooling: one output row for all channels (avx512).
#include "pool-avx512.inc"

namespace effnet {
namespace pool {
void pool_avg_avx512(const RowArgs& args) { row_kernel<false>(args); }
}  // namespace pool
}  // namespace effnet
