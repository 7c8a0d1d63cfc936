// MaxPool / AvgPool (NHWC): one thread per output element over the window's in-bounds elements.
// Max starts at -Inf and takes strictly greater values (NaN never wins); Avg divides by the number of
// in-bounds elements, as the CPU engine and tfjs-backend-cpu do.
#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

template <bool MAX>
__global__ void pool_kernel(Pool2DShape s, const float* __restrict__ x, float* __restrict__ out, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const int64_t c = static_cast<int64_t>(i % s.channels);
    int64_t t = static_cast<int64_t>(i / s.channels);
    const int64_t ow = t % s.out_w;
    t /= s.out_w;
    const int64_t oh = t % s.out_h;
    const int64_t b = t / s.out_h;
    const int64_t y0 = max(int64_t(0), oh * s.stride_h - s.pad_top);
    const int64_t y1 = min(s.in_h, oh * s.stride_h - s.pad_top + s.filter_h);
    const int64_t x0 = max(int64_t(0), ow * s.stride_w - s.pad_left);
    const int64_t x1 = min(s.in_w, ow * s.stride_w - s.pad_left + s.filter_w);
    const float* xb = x + b * s.in_h * s.in_w * s.channels + c;
    float acc = MAX ? -CUDART_INF_F : 0.f;
    for (int64_t iy = y0; iy < y1; ++iy) {
      for (int64_t ix = x0; ix < x1; ++ix) {
        const float v = xb[(iy * s.in_w + ix) * s.channels];
        if (MAX) acc = v > acc ? v : acc;
        else acc += v;
      }
    }
    if (!MAX) {
      const int64_t count = (y1 > y0 && x1 > x0) ? (y1 - y0) * (x1 - x0) : 0;
      acc /= static_cast<float>(count);
    }
    out[i] = acc;
  }
}

}  // namespace

void pool2d(bool is_max, const Pool2DShape& s, const float* x, float* out) {
  const char* op = is_max ? "MaxPool" : "AvgPool";
  if (s.batch < 0 || s.in_h < 0 || s.in_w < 0 || s.channels < 0 || s.out_h < 0 || s.out_w < 0 || s.filter_h < 1 ||
      s.filter_w < 1 || s.stride_h < 1 || s.stride_w < 1) {
    throw Error(std::string(op) + ": invalid shape or attributes");
  }
  const size_t n = static_cast<size_t>(s.batch * s.out_h * s.out_w * s.channels);
  if (n == 0) return;
  cudaStream_t st = stream();
  if (is_max) pool_kernel<true><<<blocks_for(n), kThreads, 0, st>>>(s, x, out, n);
  else pool_kernel<false><<<blocks_for(n), kThreads, 0, st>>>(s, x, out, n);
  CUDA_CHECK_LAUNCH("pool2d");
}

}  // namespace cuda
}  // namespace effnet
