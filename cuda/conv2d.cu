// Conv2D / FusedConv2D (NHWC, HWIO filter) as an implicit GEMM: M = batch * outH * outW output
// pixels, N = outC, K = filterH * filterW * inC; A is gathered from x on the fly (cuda/im2col.cuh:
// zeros in the padding, and the outputs those zeros made NaN summed again over the taps inside), B is
// the filter as stored. 1x1 convolutions with stride 1 and no padding read x as a plain (pixels x
// inC) matrix. The GEMM runs in the engine's precision (precision(): float32 on the SIMT
// cores by default, or TF32 / fp16 / bf16 on the tensor cores, gemm_tensor_core.cuh).
#include <cstdlib>

#include "gemm_tensor_core.cuh"
#include "im2col.cuh"

namespace effnet {
namespace cuda {

void conv2d(const Conv2DShape& s, const float* x, const float* filter, float* out, const Epilogue& ep) {
  if (s.batch < 0 || s.in_h < 0 || s.in_w < 0 || s.in_c < 0 || s.out_h < 0 || s.out_w < 0 || s.out_c < 0 ||
      s.filter_h < 1 || s.filter_w < 1 || s.stride_h < 1 || s.stride_w < 1 || s.dilation_h < 1 || s.dilation_w < 1) {
    throw Error("Conv2D: invalid shape or attributes");
  }
  const int64_t M = s.batch * s.out_h * s.out_w, N = s.out_c, K = s.filter_h * s.filter_w * s.in_c;
  const DeviceEpilogue dep = to_device(ep);
  MatrixLoad lb{filter, 1, 0, N, 1};
  cudaStream_t st = stream();
  const Precision p = precision();
  if (s.filter_h == 1 && s.filter_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 && s.pad_left == 0 &&
      s.out_h == s.in_h && s.out_w == s.in_w) {
    MatrixLoad la{x, 1, 0, s.in_c, 1};
    launch_gemm_in(p, la, lb, out, 1, M, N, K, dep, st);
    return;
  }
  const int64_t lim = 0x3fffffff;
  const bool fits = M <= lim && K <= lim && s.in_h <= lim && s.in_w <= lim && s.out_h <= lim && s.out_w <= lim &&
                    std::abs(s.pad_top) <= lim && std::abs(s.pad_left) <= lim &&
                    (s.out_h + s.filter_h) * (s.stride_h + s.dilation_h) <= lim &&
                    (s.out_w + s.filter_w) * (s.stride_w + s.dilation_w) <= lim;
  if (!fits) throw Error("Conv2D: dimensions beyond 2^30 are not supported on the GPU");
  const auto i32 = [](int64_t v) { return static_cast<int>(v); };
  Im2ColLoad la{x, i32(s.in_h), i32(s.in_w), i32(s.in_c), i32(s.out_h), i32(s.out_w), i32(s.filter_h), i32(s.filter_w),
                i32(s.stride_h), i32(s.stride_w), i32(s.dilation_h), i32(s.dilation_w), i32(s.pad_top), i32(s.pad_left)};
  launch_gemm_in(p, la, lb, out, 1, M, N, K, dep, st);
}

}  // namespace cuda
}  // namespace effnet
