// EffnetHead on the GPU: the launches of cuda/head.cuh's kernels (see effnet_cuda/head.h).
#include <algorithm>
#include <string>

#include "common.cuh"
#include "effnet_cuda/head.h"
#include "head.cuh"
#include "scratch.cuh"

namespace effnet {
namespace cuda {
namespace {

constexpr const char* kOp = "EffnetHead: ";
constexpr int64_t kMaxGridYZ = 65535;

}  // namespace

void head(const HeadParams& p, const float* x, const HeadDeviceWeights& w, float* out) {
  head_validate(p);
  const std::string op = kOp;
  if (p.batch == 0) return;
  if (x == nullptr || out == nullptr || w.conv_kernel == nullptr || w.conv_bias == nullptr ||
      w.dense_kernel == nullptr || w.dense_bias == nullptr) {
    throw Error(op + "a weight is missing");
  }
  namespace hk = head_kernels;
  const int64_t N = p.batch, P = p.height * p.width, Cin = p.in_channels, Ch = p.head_channels;
  const int64_t classes = p.num_classes;
  const int64_t tiles = (P + hk::kTileP - 1) / hk::kTileP;
  // 32-bit offsets inside one image's x (P * Cin) and partial sums (tiles * Ch), grid limits.
  if (tiles > kMaxGridYZ || P * Cin > 0x7fffffff || tiles * Ch > 0x7fffffff || Cin * Ch > (int64_t(1) << 40)) {
    throw Error(op + "dimensions beyond the GPU kernels' range (pixels <= " + std::to_string(kMaxGridYZ * hk::kTileP) +
                ", pixels x input channels and head channels x pixel tiles < 2^31)");
  }
  cudaStream_t st = stream();  // throws unless CUDA is usable

  // Scratch: freed blocks go back to the caching allocator; later work on the engine's one stream is
  // ordered after the kernels queued here, so reuse is safe.
  // Every element of each is written by one kernel below before the next reads it: no zero fill.
  DeviceBuffer partial(checked_count(kOp, {N, tiles, Ch}) * sizeof(float), DeviceBuffer::Zeroing::kNone);
  DeviceBuffer mean(checked_count(kOp, {N, Ch}) * sizeof(float), DeviceBuffer::Zeroing::kNone);
  float* partial_p = static_cast<float*>(partial.data());
  float* mean_p = static_cast<float*>(mean.data());

  hk::ConvPoolArgs args{};
  args.x = x;
  args.wc = w.conv_kernel;
  args.bc = w.conv_bias;
  args.partial = partial_p;
  args.P = static_cast<int>(P);
  args.Cin = static_cast<int>(Cin);
  args.Ch = static_cast<int>(Ch);
  args.tiles = static_cast<int>(tiles);
  const double inv_pixels = 1.0 / static_cast<double>(P);
  const unsigned channel_blocks = static_cast<unsigned>((Ch + hk::kTileC - 1) / hk::kTileC);
  const unsigned mean_blocks = static_cast<unsigned>((Ch + hk::kThreads - 1) / hk::kThreads);
  const unsigned dense_blocks = static_cast<unsigned>((classes + 31) / 32);
  // Images in launches of at most 65535 (grid.y / grid.z limits).
  for (int64_t n0 = 0; n0 < N; n0 += kMaxGridYZ) {
    const unsigned images = static_cast<unsigned>(std::min<int64_t>(kMaxGridYZ, N - n0));
    args.n0 = static_cast<int>(n0);
    hk::head_conv_pool_kernel<<<dim3(channel_blocks, static_cast<unsigned>(tiles), images), hk::kThreads, 0, st>>>(args);
    CUDA_CHECK_LAUNCH("head conv+pool");
    tile_mean_kernel<<<dim3(mean_blocks, images), hk::kThreads, 0, st>>>(partial_p, mean_p, static_cast<int>(n0),
                                                                 static_cast<int>(tiles), static_cast<int>(Ch), inv_pixels);
    CUDA_CHECK_LAUNCH("head mean");
    hk::head_dense_kernel<<<dim3(dense_blocks, images), hk::kThreads, 0, st>>>(mean_p, w.dense_kernel, w.dense_bias, out,
                                                                      static_cast<int>(n0), static_cast<int>(Ch),
                                                                      static_cast<int>(classes));
    CUDA_CHECK_LAUNCH("head dense");
  }
}

}  // namespace cuda
}  // namespace effnet
