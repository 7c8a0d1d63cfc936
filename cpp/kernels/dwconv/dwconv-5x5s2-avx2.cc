// Depthwise 5x5 stride 2, channel multiplier 1, dilation 1: one output row (avx2).
#include "dwconv-avx2.inc"

namespace effnet {
namespace dwconv {
void dwconv_5x5s2_avx2(const RowArgs& args) { row_kernel<5, 5, 2>(args); }
}  // namespace dwconv
}  // namespace effnet
