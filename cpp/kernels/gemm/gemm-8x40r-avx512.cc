// AVX-512 GEMM microkernel, 8 rows x 40 columns over B whose last 8 columns are packed in k-pairs
// (gemm::pack_b_pairs, pair_columns 8): N = 40 with every FMA lane working where 512-bit FMAs issue whole
// (EfficientNet-B0/B1's 40-channel projections).
#include "gemm-avx512.inc"

namespace effnet {
namespace gemm {

void gemm_8x40r_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep) {
  // Every tile runs 8 rows (a partial one repeats its last row and stores only its own): the fused
  // block's projections have whole tiles but the last, and shorter tiles would add ~30 KB of code to
  // the package for that one tile.
  gemm_avx512_tile_pair_tail<8, 2>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
}

}  // namespace gemm
}  // namespace effnet
