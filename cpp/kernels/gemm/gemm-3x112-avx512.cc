// AVX-512 GEMM microkernel, 3 rows x 112 columns (21 zmm accumulators): N = 112k without padding
// (EfficientNet's 112- and 224-channel projections, which 6x64 pads by 14% and 12.5%).
#include "gemm-avx512.inc"

namespace effnet {
namespace gemm {

void gemm_3x112_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep) {
  // A partial tile (the last rows of M) runs a shorter tile instead of computing rows it discards.
  if (mr <= 1) return gemm_avx512_tile<1, 7>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 2) return gemm_avx512_tile<2, 7>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  // A full tile: it prefetches A where K is long (gemm_avx512_full_tile).
  gemm_avx512_full_tile<3, 7>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
}

void gemm_3x112_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                                float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                                const Prefetch& prefetch) {
  gemm_avx512_prefetching_tile<3, 7>(gemm_3x112_avx512, mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep,
                                   prefetch);
}

}  // namespace gemm
}  // namespace effnet
