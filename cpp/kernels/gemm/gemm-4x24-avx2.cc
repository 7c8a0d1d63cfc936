// AVX2+FMA GEMM microkernel, 4 rows x 24 columns (body: gemm-avx2.inc): 7 loads per 12 FMAs instead of
// 6x16's 8, and N = 24, 48, 72, ... without padded columns.
#include "gemm-avx2.inc"

namespace effnet {
namespace gemm {

void gemm_4x24_avx2(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                    size_t c_stride, bool load_c, const Epilogue* ep) {
  gemm_avx2_tile_prefetching<4, 3>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
}

}  // namespace gemm
}  // namespace effnet
