// Max pooling: one output row for all channels (avx2).
#include "pool-avx2.inc"

namespace effnet {
namespace pool {
void pool_max_avx2(const RowArgs& args) { row_kernel<true>(args); }
}  // namespace pool
}  // namespace effnet
