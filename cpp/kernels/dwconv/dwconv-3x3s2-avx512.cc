// Depthwise 3x3 stride 2, channel multiplier 1, dilation 1: one output row (avx512).
#include "dwconv-avx512.inc"

namespace effnet {
namespace dwconv {
void dwconv_3x3s2_avx512(const RowArgs& args) { row_kernel<3, 3, 2>(args); }
}  // namespace dwconv
}  // namespace effnet
