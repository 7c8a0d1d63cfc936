// AVX-512 GEMM microkernel, 14 rows x 16 columns (14 zmm accumulators).
#include "gemm-avx512.inc"

namespace effnet {
namespace gemm {

void gemm_14x16_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                    size_t c_stride, bool load_c, const Epilogue* ep) {
  gemm_avx512_tile<14, 1>(mr, nr, kc, a, a_stride, b, c, c_stride, load_c, ep);
}

}  // namespace gemm
}  // namespace effnet
