// AVX-512 GEMM microkernel, 12 rows x 32 columns (24 zmm accumulators).
#include "gemm-avx512.inc"

namespace effnet {
namespace gemm {

void gemm_12x32_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                    size_t c_stride, bool load_c, const Epilogue* ep) {
  // A partial tile (the last rows of M) runs a shorter tile instead of computing rows it discards.
  if (mr <= 2) return gemm_avx512_tile<2, 2>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 4) return gemm_avx512_tile<4, 2>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 6) return gemm_avx512_tile<6, 2>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 8) return gemm_avx512_tile<8, 2>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 10) return gemm_avx512_tile<10, 2>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  // A full tile: it prefetches A where K is long (gemm_avx512_full_tile).
  gemm_avx512_full_tile<12, 2>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
}

void gemm_12x32_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                                float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                                const Prefetch& prefetch) {
  gemm_avx512_prefetching_tile<12, 2>(gemm_12x32_avx512, mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep,
                                    prefetch);
}

void gemm_12x32_avx512_segmented(size_t mr, size_t nr, size_t segments, size_t seg_k, size_t seg_stride,
                                 const float* a, size_t a_stride, const float* b, float* c, size_t c_stride,
                                 bool load_c, const Epilogue* ep) {
  gemm_avx512_segmented_tile<12, 2>(mr, nr, segments, seg_k, seg_stride, a, a_stride, b, c, c_stride, load_c, ep);
}

}  // namespace gemm
}  // namespace effnet
