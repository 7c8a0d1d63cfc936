// AVX2+FMA GEMM microkernel, 6 rows x 16 columns (body: gemm-avx2.inc).
#include "gemm-avx2.inc"

namespace effnet {
namespace gemm {

void gemm_6x16_avx2(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                    size_t c_stride, bool load_c, const Epilogue* ep) {
  gemm_avx2_tile_prefetching<6, 2>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
}

}  // namespace gemm
}  // namespace effnet
