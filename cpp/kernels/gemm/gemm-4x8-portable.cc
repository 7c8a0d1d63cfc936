// Portable GEMM microkernel, 4 rows x 8 columns, plain C++ (the compiler may vectorise it at SSE2).
#include <cstddef>
#include <cstdint>

#include "gemm.h"

namespace effnet {
namespace gemm {

void gemm_4x8_portable(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep) {
  constexpr int kMR = 4;
  constexpr int kNR = 8;
  const float* ap[kMR];
  for (int i = 0; i < kMR; ++i) ap[i] = a + (static_cast<size_t>(i) < mr ? i : mr - 1) * a_stride;
  float acc[kMR][kNR];
  for (int i = 0; i < kMR; ++i) {
    for (int j = 0; j < kNR; ++j) {
      acc[i][j] = (load_c && static_cast<size_t>(i) < mr && static_cast<size_t>(j) < nr) ? c[i * c_stride + j] : 0.f;
    }
  }
  for (size_t k = 0; k < kc; ++k) {
    for (int i = 0; i < kMR; ++i) {
      const float av = ap[i][k];
      for (int j = 0; j < kNR; ++j) acc[i][j] += av * b[j];
    }
    b += kNR;
  }
  const size_t rows = mr < static_cast<size_t>(kMR) ? mr : kMR;
  const size_t cols = nr < static_cast<size_t>(kNR) ? nr : kNR;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      float v = acc[i][j];
      if (ep != nullptr) {
        if (ep->bias != nullptr) v += ep->bias[j];
        if (ep->residual != nullptr) v += ep->residual[i * ep->residual_stride + j];
        switch (ep->act) {
          case 1: v = v < 0.f ? 0.f : v; break;
          case 2: v = v < 0.f ? 0.f : (v > 6.f ? 6.f : v); break;
          case 4: v = v < 0.f ? ep->alpha * v : v; break;
          case 5: v = v < 0.f ? ep->prelu[j] * v : v; break;
          default: break;
        }
      }
      c[i * c_stride + j] = v;
    }
  }
}

}  // namespace gemm
}  // namespace effnet
