// Depthwise 5x5 stride 1, channel multiplier 1, dilation 1: one output row (portable).
#include "dwconv-portable.inc"

namespace effnet {
namespace dwconv {
void dwconv_5x5s1_portable(const RowArgs& args) { row_kernel<5, 5, 1>(args); }
}  // namespace dwconv
}  // namespace effnet
