// Depthwise convolution, any kernel size, stride, dilation and channel multiplier: one output row.
// Weights in tfjs's [kh][kw][channels][multiplier] layout. Channel-inner loops over contiguous
// memory (vectorised by the compiler); taps in the padding are skipped, as tfjs does.
#include <cstring>

#include "dwconv.h"
#include "effnet/activation.h"

namespace effnet {
namespace dwconv {

void dwconv_generic_portable(const RowArgs& a) {
  const size_t C = a.channels;
  const size_t M = a.multiplier;
  const size_t CM = C * M;
  const ptrdiff_t in_w = static_cast<ptrdiff_t>(a.in_w);
  const Epilogue& e = a.epilogue;
  const Activation act = static_cast<Activation>(e.activation);
  for (size_t ox = 0; ox < a.out_w; ++ox) {
    float* o = a.out + ox * a.out_stride;
    std::memset(o, 0, CM * sizeof(float));
    const ptrdiff_t ix0 = static_cast<ptrdiff_t>(ox * a.stride_w) - a.pad_left;
    for (size_t ky = 0; ky < a.kernel_h; ++ky) {
      const float* row = a.rows[ky];
      if (row == nullptr) continue;
      for (size_t kx = 0; kx < a.kernel_w; ++kx) {
        const ptrdiff_t ix = ix0 + static_cast<ptrdiff_t>(kx * a.dilation_w);
        if (ix < 0 || ix >= in_w) continue;
        const float* in = row + static_cast<size_t>(ix) * C;
        const float* w = a.weights + (ky * a.kernel_w + kx) * CM;
        if (M == 1) {
          for (size_t c = 0; c < C; ++c) o[c] += in[c] * w[c];
        } else {
          for (size_t c = 0; c < C; ++c) {
            const float v = in[c];
            float* oc = o + c * M;
            const float* wc = w + c * M;
            for (size_t q = 0; q < M; ++q) oc[q] += v * wc[q];
          }
        }
      }
    }
    if (e.bias) {
      for (size_t j = 0; j < CM; ++j) o[j] += e.bias[j];
    }
    if (act == Activation::kRelu) {
      for (size_t j = 0; j < CM; ++j) o[j] = o[j] < 0.f ? 0.f : o[j];
    } else if (act != Activation::kLinear) {
      for (size_t j = 0; j < CM; ++j) o[j] = apply_activation(o[j], act, e.alpha, e.prelu ? e.prelu[j] : 0.f);
    }
  }
}

}  // namespace dwconv
}  // namespace effnet
