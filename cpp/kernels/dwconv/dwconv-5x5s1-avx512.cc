// Depthwise 5x5 stride 1, channel multiplier 1, dilation 1: one output row (avx512).
#include "dwconv-avx512.inc"

namespace effnet {
namespace dwconv {
void dwconv_5x5s1_avx512(const RowArgs& args) { row_kernel<5, 5, 1>(args); }
}  // namespace dwconv
}  // namespace effnet
