// AVX-512 GEMM microkernel, 6 rows x 64 columns (24 zmm accumulators).
#include "gemm-avx512.inc"

namespace effnet {
namespace gemm {

void gemm_6x64_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                    size_t c_stride, bool load_c, const Epilogue* ep) {
  // A partial tile (the last rows of M) runs a shorter tile instead of computing rows it discards.
  if (mr <= 1) return gemm_avx512_tile<1, 4>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 2) return gemm_avx512_tile<2, 4>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 3) return gemm_avx512_tile<3, 4>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 4) return gemm_avx512_tile<4, 4>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  if (mr <= 5) return gemm_avx512_tile<5, 4>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
  // A full tile: it prefetches A where K is long (gemm_avx512_full_tile).
  gemm_avx512_full_tile<6, 4>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
}

void gemm_6x64_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                               float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                               const Prefetch& prefetch) {
  gemm_avx512_prefetching_tile<6, 4>(gemm_6x64_avx512, mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep,
                                   prefetch);
}

void gemm_6x64_avx512_segmented(size_t mr, size_t nr, size_t segments, size_t seg_k, size_t seg_stride,
                                const float* a, size_t a_stride, const float* b, float* c, size_t c_stride,
                                bool load_c, const Epilogue* ep) {
  gemm_avx512_segmented_tile<6, 4>(mr, nr, segments, seg_k, seg_stride, a, a_stride, b, c, c_stride, load_c, ep);
}

}  // namespace gemm
}  // namespace effnet
