// Depthwise 3x3 stride 1, channel multiplier 1, dilation 1: one output row (avx2).
#include "dwconv-avx2.inc"

namespace effnet {
namespace dwconv {
void dwconv_3x3s1_avx2(const RowArgs& args) { row_kernel<3, 3, 1>(args); }
}  // namespace dwconv
}  // namespace effnet
