// Portable GEMM microkernel, 4 rows x 8 columns, plain C++ (the compiler may vectorise it at SSE2).
#include <cstddef>
#include <cmath>
#include <cstdint>

#include "effnet/activation.h"
#include "gemm.h"

namespace effnet {
namespace gemm {
namespace {

// elu (3), sigmoid (6), swish (7), swish of -log2(e) x (8) as in effnet::apply_activation.
float transcendental(float x, int32_t act) {
  switch (act) {
    case 3: return x >= 0.f ? x : std::expm1(x);
    case 6: return 1.f / (1.f + std::exp(-x));
    case 7: return x / (1.f + std::exp(-x));
    case 8: return apply_activation(x, Activation::kSwishScaled, 0.f, 0.f);
    default: return x;
  }
}

}  // namespace

void gemm_4x8_portable(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep) {
  constexpr int kMR = 4;
  constexpr int kNR = 8;
  const float* ap[kMR];
  for (int i = 0; i < kMR; ++i) ap[i] = a + (static_cast<size_t>(i) < mr ? i : mr - 1) * a_stride;
  // GCC/Clang vector extension: 4-float vectors that compile to SSE2 at the baseline ISA and keep
  // the compiler from vectorising along k (which needs shuffles).
  typedef float v4 __attribute__((vector_size(16)));
  const bool full = mr >= static_cast<size_t>(kMR) && nr >= static_cast<size_t>(kNR);
  v4 acc[kMR][2];
  if (!load_c) {
    for (int i = 0; i < kMR; ++i) acc[i][0] = acc[i][1] = v4{0.f, 0.f, 0.f, 0.f};
  } else if (full) {
    for (int i = 0; i < kMR; ++i) {
      __builtin_memcpy(&acc[i][0], c + i * c_stride, sizeof(v4));
      __builtin_memcpy(&acc[i][1], c + i * c_stride + 4, sizeof(v4));
    }
  } else {
    for (int i = 0; i < kMR; ++i) {
      for (int h = 0; h < 2; ++h) {
        for (int l = 0; l < 4; ++l) {
          const size_t j = static_cast<size_t>(h * 4 + l);
          acc[i][h][l] = (static_cast<size_t>(i) < mr && j < nr) ? c[i * c_stride + j] : 0.f;
        }
      }
    }
  }
  for (size_t k = 0; k < kc; ++k) {
    v4 b0, b1;
    __builtin_memcpy(&b0, b, sizeof(v4));
    __builtin_memcpy(&b1, b + 4, sizeof(v4));
    b += kNR;
#pragma GCC unroll 4
    for (int i = 0; i < kMR; ++i) {
      const float av = ap[i][k];
      const v4 a4 = {av, av, av, av};
      acc[i][0] += a4 * b0;
      acc[i][1] += a4 * b1;
    }
  }
  if (full) {
    if (ep != nullptr) {
      const v4 zero = {0.f, 0.f, 0.f, 0.f};
      for (int h = 0; h < 2; ++h) {
        v4 bias = zero, slope = zero;
        if (ep->bias != nullptr) __builtin_memcpy(&bias, ep->bias + h * 4, sizeof(v4));
        if (ep->act == 5) __builtin_memcpy(&slope, ep->prelu + h * 4, sizeof(v4));
        const v4 alpha = {ep->alpha, ep->alpha, ep->alpha, ep->alpha};
        const v4 six = {6.f, 6.f, 6.f, 6.f};
        for (int i = 0; i < kMR; ++i) {
          v4 v = acc[i][h] + bias;
          if (ep->residual != nullptr) {
            v4 r;
            __builtin_memcpy(&r, ep->residual + i * ep->residual_stride + h * 4, sizeof(v4));
            v += r;
          }
          switch (ep->act) {
            case 1: v = v < zero ? zero : v; break;
            case 2: v = v < zero ? zero : (v > six ? six : v); break;
            case 4: v = v < zero ? alpha * v : v; break;
            case 5: v = v < zero ? slope * v : v; break;
            case 3:
            case 6:
            case 7:
            case 8:
              for (int l = 0; l < 4; ++l) v[l] = transcendental(v[l], ep->act);
              break;
            default: break;
          }
          acc[i][h] = v;
        }
      }
    }
    for (int i = 0; i < kMR; ++i) {
      __builtin_memcpy(c + i * c_stride, &acc[i][0], sizeof(v4));
      __builtin_memcpy(c + i * c_stride + 4, &acc[i][1], sizeof(v4));
    }
    return;
  }
  const size_t rows = mr < static_cast<size_t>(kMR) ? mr : kMR;
  const size_t cols = nr < static_cast<size_t>(kNR) ? nr : kNR;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      float v = acc[i][j / 4][j % 4];
      if (ep != nullptr) {
        if (ep->bias != nullptr) v += ep->bias[j];
        if (ep->residual != nullptr) v += ep->residual[i * ep->residual_stride + j];
        switch (ep->act) {
          case 1: v = v < 0.f ? 0.f : v; break;
          case 2: v = v < 0.f ? 0.f : (v > 6.f ? 6.f : v); break;
          case 4: v = v < 0.f ? ep->alpha * v : v; break;
          case 5: v = v < 0.f ? ep->prelu[j] * v : v; break;
          case 3:
          case 6:
          case 7:
          case 8: v = transcendental(v, ep->act); break;
          default: break;
        }
      }
      c[i * c_stride + j] = v;
    }
  }
}

}  // namespace gemm
}  // namespace effnet
