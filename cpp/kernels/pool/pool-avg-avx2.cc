// Average pooling: one output row for all channels (avx2).
#include "pool-avx2.inc"

namespace effnet {
namespace pool {
void pool_avg_avx2(const RowArgs& args) { row_kernel<false>(args); }
}  // namespace pool
}  // namespace effnet
