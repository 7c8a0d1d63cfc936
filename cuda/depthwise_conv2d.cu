// DepthwiseConv2dNative / FusedDepthwiseConv2D (NHWC, filter [fh, fw, C, multiplier]): one thread per
// output element; consecutive threads take consecutive output channels, so reads of x and the filter
// are coalesced. The fused epilogue (bias, activation, prelu) is applied in the same pass.
#include "epilogue.cuh"

namespace effnet {
namespace cuda {
namespace {

__global__ void depthwise_kernel(DepthwiseShape s, const float* __restrict__ x, const float* __restrict__ filter,
                                 float* __restrict__ out, DeviceEpilogue ep, size_t n) {
  const int64_t oc_total = s.channels * s.multiplier;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const int64_t oc = static_cast<int64_t>(i % oc_total);
    int64_t t = static_cast<int64_t>(i / oc_total);
    const int64_t ow = t % s.out_w;
    t /= s.out_w;
    const int64_t oh = t % s.out_h;
    const int64_t b = t / s.out_h;
    const int64_t c = oc / s.multiplier;
    const int64_t q = oc - c * s.multiplier;
    const float* xb = x + b * s.in_h * s.in_w * s.channels + c;
    float acc = 0.f;
    for (int64_t fy = 0; fy < s.filter_h; ++fy) {
      const int64_t iy = oh * s.stride_h - s.pad_top + fy * s.dilation_h;
      if (iy < 0 || iy >= s.in_h) continue;
      for (int64_t fx = 0; fx < s.filter_w; ++fx) {
        const int64_t ix = ow * s.stride_w - s.pad_left + fx * s.dilation_w;
        if (ix < 0 || ix >= s.in_w) continue;
        acc = fmaf(xb[(iy * s.in_w + ix) * s.channels], filter[((fy * s.filter_w + fx) * s.channels + c) * s.multiplier + q], acc);
      }
    }
    out[i] = apply_epilogue(ep, acc, i, static_cast<size_t>(oc));
  }
}

}  // namespace

void depthwise_conv2d(const DepthwiseShape& s, const float* x, const float* filter, float* out, const Epilogue& ep) {
  if (s.batch < 0 || s.in_h < 0 || s.in_w < 0 || s.channels < 0 || s.multiplier < 1 || s.out_h < 0 || s.out_w < 0 ||
      s.filter_h < 1 || s.filter_w < 1 || s.stride_h < 1 || s.stride_w < 1 || s.dilation_h < 1 || s.dilation_w < 1) {
    throw Error("DepthwiseConv2dNative: invalid shape or attributes");
  }
  const size_t n = static_cast<size_t>(s.batch * s.out_h * s.out_w * s.channels * s.multiplier);
  if (n == 0) return;
  const DeviceEpilogue dep = to_device(ep);
  depthwise_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(s, x, filter, out, dep, n);
  CUDA_CHECK_LAUNCH("depthwiseConv2d");
}

}  // namespace cuda
}  // namespace effnet
