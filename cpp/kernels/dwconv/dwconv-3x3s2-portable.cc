// Depthwise 3x3 stride 2, channel multiplier 1, dilation 1: one output row (portable).
#include "dwconv-portable.inc"

namespace effnet {
namespace dwconv {
void dwconv_3x3s2_portable(const RowArgs& args) { row_kernel<3, 3, 2>(args); }
}  // namespace dwconv
}  // namespace effnet
