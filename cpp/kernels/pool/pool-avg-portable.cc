// Average pooling: one output row for all channels (portable).
#include "pool-portable.inc"

namespace effnet {
namespace pool {
void pool_avg_portable(const RowArgs& args) { row_kernel<false>(args); }
}  // namespace pool
}  // namespace effnet
