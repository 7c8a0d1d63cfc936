// Depthwise 3x3 stride 1, channel multiplier 1, dilation 1: one output row (portable).
#include "dwconv-portable.inc"

namespace effnet {
namespace dwconv {
void dwconv_3x3s1_portable(const RowArgs& args) { row_kernel<3, 3, 1>(args); }
}  // namespace dwconv
}  // namespace effnet
