// ResizeBilinear (NHWC -> float32) with tfjs-backend-cpu's coordinate mapping (align corners, half
// pixel centers) and float64 interpolation: one thread per output element.
#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

__device__ __forceinline__ void axis(int64_t i, int64_t in, double ratio, bool half_pixel, int64_t* lo, int64_t* hi,
                                     double* frac) {
  const double src = half_pixel ? ratio * (static_cast<double>(i) + 0.5) - 0.5 : ratio * static_cast<double>(i);
  const double l = fmax(0.0, floor(src));
  const double h = fmin(static_cast<double>(in - 1), ceil(src));
  *lo = static_cast<int64_t>(l);
  *hi = static_cast<int64_t>(fmax(0.0, h));
  *frac = src - l;
}

template <typename T>
__global__ void resize_kernel(ResizeShape s, double ry, double rx, const T* __restrict__ x, float* __restrict__ out,
                              size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const int64_t c = static_cast<int64_t>(i % s.channels);
    int64_t t = static_cast<int64_t>(i / s.channels);
    const int64_t ox = t % s.out_w;
    t /= s.out_w;
    const int64_t oy = t % s.out_h;
    const int64_t b = t / s.out_h;
    int64_t y0, y1, x0, x1;
    double fy, fx;
    axis(oy, s.in_h, ry, s.half_pixel_centers, &y0, &y1, &fy);
    axis(ox, s.in_w, rx, s.half_pixel_centers, &x0, &x1, &fx);
    const T* img = x + b * s.in_h * s.in_w * s.channels + c;
    const double tl = img[(y0 * s.in_w + x0) * s.channels], tr = img[(y0 * s.in_w + x1) * s.channels];
    const double bl = img[(y1 * s.in_w + x0) * s.channels], br = img[(y1 * s.in_w + x1) * s.channels];
    const double top = tl + (tr - tl) * fx;
    const double bot = bl + (br - bl) * fx;
    out[i] = static_cast<float>(top + (bot - top) * fy);
  }
}

double ratio(int64_t in, int64_t out, bool align_corners) {
  const double eff_in = (align_corners && out > 1) ? static_cast<double>(in - 1) : static_cast<double>(in);
  const double eff_out = (align_corners && out > 1) ? static_cast<double>(out - 1) : static_cast<double>(out);
  return eff_in / eff_out;
}

}  // namespace

void resize_bilinear(const ResizeShape& s, const void* x, bool x_int32, float* out) {
  if (s.batch < 0 || s.in_h < 0 || s.in_w < 0 || s.channels < 0 || s.out_h < 0 || s.out_w < 0) {
    throw Error("ResizeBilinear: negative dimension");
  }
  const size_t n = static_cast<size_t>(s.batch * s.out_h * s.out_w * s.channels);
  if (n == 0) return;
  if (s.in_h == 0 || s.in_w == 0) throw Error("ResizeBilinear: cannot resize an empty image to a non-empty size");
  const double ry = ratio(s.in_h, s.out_h, s.align_corners), rx = ratio(s.in_w, s.out_w, s.align_corners);
  cudaStream_t st = stream();
  if (x_int32) resize_kernel<int32_t><<<blocks_for(n), kThreads, 0, st>>>(s, ry, rx, static_cast<const int32_t*>(x), out, n);
  else resize_kernel<float><<<blocks_for(n), kThreads, 0, st>>>(s, ry, rx, static_cast<const float*>(x), out, n);
  CUDA_CHECK_LAUNCH("resizeBilinear");
}

}  // namespace cuda
}  // namespace effnet
