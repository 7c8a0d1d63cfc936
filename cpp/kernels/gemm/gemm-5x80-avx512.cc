// AVX-512 GEMM microkernel, 5 rows x 80 columns (25 zmm accumulators, 5 B vectors, 5 broadcasts per k):
// N = 80k without padding (EfficientNet's 80- and 160-channel projections, which 8x48 pads by 20% and
// 6x64 by 60% and 20%).
#include "gemm-avx512.inc"

namespace effnet {
namespace gemm {

void gemm_5x80_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                      size_t c_stride, bool load_c, const Epilogue* ep) {
  // A partial tile (the last rows of M) runs a shorter tile instead of computing rows it discards.
  if (mr <= 2) return gemm_avx512_tile<2, 5>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 4) return gemm_avx512_tile<4, 5>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  // A full tile: it prefetches A where K is long (gemm_avx512_full_tile).
  gemm_avx512_full_tile<5, 5>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
}

void gemm_5x80_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                               float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                               const Prefetch& prefetch) {
  gemm_avx512_prefetching_tile<5, 5>(gemm_5x80_avx512, mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep,
                                   prefetch);
}

}  // namespace gemm
}  // namespace effnet
