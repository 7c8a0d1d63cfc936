// Conv2D's implicit im2col matrix (NHWC x, HWIO filter) as the A operand of the GEMMs (gemm.cuh,
// gemm_tensor_core.cuh): row m is an output pixel, column k a tap (filter row, filter column, input
// channel), zeros where the tap falls in the padding. And the repair of the outputs those zeros got
// wrong: tfjs-backend-cpu sums only the taps inside the image, so a weight that is infinite or NaN at a
// tap in the padding does not reach an output, where the GEMM's 0 * inf made it NaN.
#pragma once
#include <cmath>
#include <cstdint>

namespace effnet {
namespace cuda {

struct Im2ColLoad {
  const float* x;
  // Decomposition in 32-bit arithmetic (much cheaper divisions); conv2d() checks that rows and K fit.
  int in_h, in_w, in_c, out_h, out_w, filter_h, filter_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;

  __device__ __forceinline__ float operator()(int64_t, int64_t m64, int64_t k64) const {
    const int m = static_cast<int>(m64), k = static_cast<int>(k64);
    const int ow = m % out_w;
    const int t = m / out_w;
    const int oh = t % out_h;
    const int n = t / out_h;
    const int ci = k % in_c;
    const int f = k / in_c;
    const int fx = f % filter_w, fy = f / filter_w;
    const int iy = oh * stride_h - pad_top + fy * dilation_h;
    const int ix = ow * stride_w - pad_left + fx * dilation_w;
    if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) return 0.f;
    return x[((static_cast<int64_t>(n) * in_h + iy) * in_w + ix) * in_c + ci];
  }

  // The GEMM's sum `v` for output (m, n), as tfjs-backend-cpu computes it. Only a NaN can be wrong (a
  // zero times a finite weight adds nothing), and only where the pixel's window leaves the image: there
  // the taps inside are summed again. Real NaN (a NaN input or weight inside, inf - inf) come out NaN
  // again. One compare per output where nothing is NaN. `kOutOfLine`: the sum as a call, where the
  // kernel's registers would otherwise be sized for it (gemm_tensor_core.cuh; gemm.cuh's kernel repairs
  // after its accumulators are dead and keeps it inline).
  template <bool kOutOfLine = false, class BLoad>
  __device__ __forceinline__ float repair(int64_t batch, int64_t m, int64_t n, const BLoad& b, float v) const {
    if (!isnan(v)) return v;
    return kOutOfLine ? sum_inside_call(batch, m, n, b, v) : sum_inside(batch, m, n, b, v);
  }

  template <class BLoad>
  __device__ __noinline__ float sum_inside_call(int64_t batch, int64_t m, int64_t n, const BLoad& b, float v) const {
    return sum_inside(batch, m, n, b, v);
  }

  // The taps inside, in tfjs-backend-cpu's order: filter row, filter column, input channel.
  template <class BLoad>
  __device__ __forceinline__ float sum_inside(int64_t batch, int64_t m64, int64_t n, const BLoad& b, float v) const {
    const int m = static_cast<int>(m64);
    const int ow = m % out_w;
    const int t = m / out_w;
    const int oh = t % out_h;
    const int img = t / out_h;
    const int y0 = oh * stride_h - pad_top, x0 = ow * stride_w - pad_left;
    const bool leaves = y0 < 0 || x0 < 0 || y0 + (filter_h - 1) * dilation_h >= in_h ||
                        x0 + (filter_w - 1) * dilation_w >= in_w;
    if (!leaves) return v;
    float acc = 0.f;
    for (int fy = 0; fy < filter_h; ++fy) {
      const int iy = y0 + fy * dilation_h;
      if (iy < 0 || iy >= in_h) continue;
      for (int fx = 0; fx < filter_w; ++fx) {
        const int ix = x0 + fx * dilation_w;
        if (ix < 0 || ix >= in_w) continue;
        const float* xp = x + ((static_cast<int64_t>(img) * in_h + iy) * in_w + ix) * in_c;
        const int64_t k0 = static_cast<int64_t>(fy * filter_w + fx) * in_c;
        for (int ci = 0; ci < in_c; ++ci) acc = fmaf(xp[ci], b(batch, k0 + ci, n), acc);
      }
    }
    return acc;
  }
};

}  // namespace cuda
}  // namespace effnet
