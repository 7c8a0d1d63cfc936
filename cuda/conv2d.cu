// Conv2D / FusedConv2D (NHWC, HWIO filter) as an implicit GEMM: M = batch * outH * outW output
// pixels, N = outC, K = filterH * filterW * inC; A is gathered from x on the fly (zeros in the
// padding), B is the filter as stored. 1x1 convolutions with stride 1 and no padding read x as a
// plain (pixels x inC) matrix.
#include "gemm.cuh"

namespace effnet {
namespace cuda {
namespace {

struct Im2ColLoad {
  const float* x;
  int64_t in_h, in_w, in_c, out_h, out_w, filter_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  __device__ __forceinline__ float operator()(int64_t, int64_t m, int64_t k) const {
    const int64_t ow = m % out_w;
    const int64_t t = m / out_w;
    const int64_t oh = t % out_h;
    const int64_t n = t / out_h;
    const int64_t ci = k % in_c;
    const int64_t f = k / in_c;
    const int64_t fx = f % filter_w, fy = f / filter_w;
    const int64_t iy = oh * stride_h - pad_top + fy * dilation_h;
    const int64_t ix = ow * stride_w - pad_left + fx * dilation_w;
    if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) return 0.f;
    return x[((n * in_h + iy) * in_w + ix) * in_c + ci];
  }
};

}  // namespace

void conv2d(const Conv2DShape& s, const float* x, const float* filter, float* out, const Epilogue& ep) {
  if (s.batch < 0 || s.in_h < 0 || s.in_w < 0 || s.in_c < 0 || s.out_h < 0 || s.out_w < 0 || s.out_c < 0 ||
      s.filter_h < 1 || s.filter_w < 1 || s.stride_h < 1 || s.stride_w < 1 || s.dilation_h < 1 || s.dilation_w < 1) {
    throw Error("Conv2D: invalid shape or attributes");
  }
  const int64_t M = s.batch * s.out_h * s.out_w, N = s.out_c, K = s.filter_h * s.filter_w * s.in_c;
  const DeviceEpilogue dep = to_device(ep);
  MatrixLoad lb{filter, 1, 0, N, 1};
  cudaStream_t st = stream();
  if (s.filter_h == 1 && s.filter_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 && s.pad_left == 0 &&
      s.out_h == s.in_h && s.out_w == s.in_w) {
    MatrixLoad la{x, 1, 0, s.in_c, 1};
    launch_gemm(la, lb, out, 1, M, N, K, dep, st);
    return;
  }
  Im2ColLoad la{x, s.in_h, s.in_w, s.in_c, s.out_h, s.out_w, s.filter_w, s.stride_h, s.stride_w, s.dilation_h,
                s.dilation_w, s.pad_top, s.pad_left};
  launch_gemm(la, lb, out, 1, M, N, K, dep, st);
}

}  // namespace cuda
}  // namespace effnet
