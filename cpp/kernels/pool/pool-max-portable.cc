// Max pooling: one output row for all channels (portable).
#include "pool-portable.inc"

namespace effnet {
namespace pool {
void pool_max_portable(const RowArgs& args) { row_kernel<true>(args); }
}  // namespace pool
}  // namespace effnet
