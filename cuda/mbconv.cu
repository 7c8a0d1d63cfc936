// EffnetMBConv on the GPU: one MBConv block in five launches, the expanded tensor never in device
// memory (see effnet_cuda/mbconv.h for the formulas).
//
//  1. expand_depthwise_kernel, one thread block per (output tile, block of CB expanded channels,
//     image): the input patch of the tile (tile + halo) is expanded (1x1 GEMM over all input
//     channels in slices of kSliceK, + bias + swish; zeros outside the image, which are the
//     depthwise convolution's padding) into shared memory, or, without an expand conv, copied
//     there; the kxk depthwise convolution (+ bias + swish) of the tile's outputs reads it from
//     there and writes d [N, Ho, Wo, Cexp]. Each block also writes the per-channel sum of its d
//     values: partial [N, tiles, Cexp] (fixed summation order, no atomics: the same inputs give
//     the same bits on every run).
//  2. tile_mean_kernel (cuda/tile_mean.cuh): mean [N, Cexp] from the partial sums (in double, tiles
//     in order) / (Ho * Wo).
//  3. se_reduce_kernel: hidden [N, Cse] = swish(mean * Wr + br).
//  4. se_gate_kernel: gate [N, Cexp] = sigmoid(hidden * Wx + bx).
//  5. The projection GEMM per image, in the engine's precision (precision(): gemm.cuh's float32
//     kernel, or the tensor-core kernel of gemm_tensor_core.cuh): A = d with the gate applied to its
//     channels as they are loaded, B = Wp, bias and residual in the epilogue. The expand conv of step
//     1 always runs in float32.
#include <algorithm>
#include <mutex>
#include <string>

#include "effnet_cuda/mbconv.h"
#include "gemm_tensor_core.cuh"
#include "scratch.cuh"
#include "tile_mean.cuh"

namespace effnet {
namespace cuda {
namespace {

constexpr const char* kOp = "EffnetMBConv: ";
constexpr int kBlockThreads = 256;
constexpr int kSliceK = 16;   // input channels per slice of the expand GEMM
constexpr int kChunk = 256;   // patch pixels per pass of the expand GEMM (accumulators in registers)
constexpr int kMaxGridYZ = 65535;

__device__ __forceinline__ float swish(float v) { return v / (1.f + expf(-v)); }
__device__ __forceinline__ float sigmoid(float v) { return 1.f / (1.f + expf(-v)); }

struct ExpandDepthwiseArgs {
  const float* x;   // [N, H, W, Cin]
  const float* we;  // [Cin, Cexp] (null without an expand conv)
  const float* be;  // [Cexp]
  const float* wd;  // [k, k, Cexp]
  const float* bd;  // [Cexp]
  float* d;         // [N, Ho, Wo, Cexp]
  float* partial;   // [N, tiles, Cexp]
  int n0;           // first image of this launch
  int H, W, Cin, Cexp, Ho, Wo, k, stride, pad_top, pad_left;
  int th, tw, tiles_w, tiles;
};

// Floats of shared memory of one block: the expanded patch [pixels][CB] (at least kBlockThreads
// floats: reused for the channel sums), the input slice [kSliceK][kChunk + 1] and the expand
// weight slice [kSliceK][CB]; each region a multiple of 4 floats (float4 reads of the weights).
__host__ __device__ constexpr int round4(int n) { return (n + 3) / 4 * 4; }
__host__ __device__ inline int patch_region(int pixels, int cb) {
  return round4(pixels * cb > kBlockThreads ? pixels * cb : kBlockThreads);
}
constexpr int kSliceRegion = round4(kSliceK * (kChunk + 1));

// CB: expanded channels per block (a multiple of 4). In the expand GEMM each thread owns four
// channels and kRows patch pixels of a chunk of kChunk pixels (accumulators in registers); in the
// depthwise convolution a thread owns one channel and every (256 / CB)-th output pixel of the tile.
template <int CB>
__global__ void __launch_bounds__(kBlockThreads) expand_depthwise_kernel(ExpandDepthwiseArgs a) {
  constexpr int kGroups = CB / 4;                   // channel groups of 4
  constexpr int kLanes = kBlockThreads / kGroups;   // pixel lanes
  constexpr int kRows = kChunk / kLanes;            // pixels per thread per chunk
  static_assert(kLanes * kGroups == kBlockThreads && kRows * kLanes == kChunk, "tile shape");
  extern __shared__ float4 smem4[];
  float* smem = reinterpret_cast<float*>(smem4);

  const int tid = threadIdx.x;
  const int tile = blockIdx.x;
  const int c0 = blockIdx.y * CB;
  const int n = a.n0 + blockIdx.z;
  const int oy0 = (tile / a.tiles_w) * a.th, ox0 = (tile % a.tiles_w) * a.tw;
  const int th = min(a.th, a.Ho - oy0), tw = min(a.tw, a.Wo - ox0);
  const int ph = (th - 1) * a.stride + a.k, pw = (tw - 1) * a.stride + a.k;
  const int pixels = ph * pw;
  const int iy0 = oy0 * a.stride - a.pad_top, ix0 = ox0 * a.stride - a.pad_left;
  const float* xn = a.x + static_cast<int64_t>(n) * a.H * a.W * a.Cin;

  float* es = smem;                              // [pixels][CB]
  float* xs = es + patch_region(pixels, CB);     // [kSliceK][kChunk + 1]
  float* ws = xs + kSliceRegion;                 // [kSliceK][CB]

  // ---- the expanded patch ----
  if (a.we != nullptr) {
    const int group = tid % kGroups, lane = tid / kGroups;
    for (int p0 = 0; p0 < pixels; p0 += kChunk) {
      const int count = min(kChunk, pixels - p0);
      const int rows = (count + kLanes - 1) / kLanes;  // rows of this chunk with pixels (the same in every warp)
      float acc[kRows][4];
#pragma unroll
      for (int i = 0; i < kRows; ++i) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.f;
      for (int k0 = 0; k0 < a.Cin; k0 += kSliceK) {
        for (int e = tid; e < count * kSliceK; e += kBlockThreads) {
          const int pi = e / kSliceK, kk = e % kSliceK;
          const int p = p0 + pi;
          const int py = p / pw, px = p - py * pw;
          const int iy = iy0 + py, ix = ix0 + px, ci = k0 + kk;
          float v = 0.f;
          if (iy >= 0 && iy < a.H && ix >= 0 && ix < a.W && ci < a.Cin) {
            v = xn[(static_cast<int64_t>(iy) * a.W + ix) * a.Cin + ci];
          }
          xs[kk * (kChunk + 1) + pi] = v;
        }
        for (int e = tid; e < kSliceK * CB; e += kBlockThreads) {
          const int kk = e / CB, cc = e % CB;
          const int ci = k0 + kk, c = c0 + cc;
          ws[e] = (ci < a.Cin && c < a.Cexp) ? a.we[static_cast<int64_t>(ci) * a.Cexp + c] : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kSliceK; ++kk) {
          const float4 w4 = *reinterpret_cast<const float4*>(ws + kk * CB + group * 4);
#pragma unroll
          for (int i = 0; i < kRows; ++i) {
            if (i >= rows) break;
            const float xv = xs[kk * (kChunk + 1) + lane + kLanes * i];
            acc[i][0] = fmaf(xv, w4.x, acc[i][0]);
            acc[i][1] = fmaf(xv, w4.y, acc[i][1]);
            acc[i][2] = fmaf(xv, w4.z, acc[i][2]);
            acc[i][3] = fmaf(xv, w4.w, acc[i][3]);
          }
        }
        __syncthreads();
      }
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
        const int pi = lane + kLanes * i;
        if (pi >= count) continue;
        const int p = p0 + pi;
        const int py = p / pw, px = p - py * pw;
        const int iy = iy0 + py, ix = ix0 + px;
        const bool inside = iy >= 0 && iy < a.H && ix >= 0 && ix < a.W;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const int cc = group * 4 + j, c = c0 + cc;
          // Outside the image the depthwise convolution reads zeros (its padding), not swish(bias).
          es[p * CB + cc] = (inside && c < a.Cexp) ? swish(acc[i][j] + a.be[c]) : 0.f;
        }
      }
    }
  } else {
    // No expand conv: Cexp == Cin, the patch is x's channels [c0, c0 + CB).
    for (int e = tid; e < pixels * CB; e += kBlockThreads) {
      const int p = e / CB, cc = e % CB, c = c0 + cc;
      const int py = p / pw, px = p - py * pw;
      const int iy = iy0 + py, ix = ix0 + px;
      float v = 0.f;
      if (iy >= 0 && iy < a.H && ix >= 0 && ix < a.W && c < a.Cexp) {
        v = xn[(static_cast<int64_t>(iy) * a.W + ix) * a.Cin + c];
      }
      es[e] = v;
    }
  }
  __syncthreads();

  // ---- depthwise + bias + swish over the tile, channel sums ----
  constexpr int kPixelLanes = kBlockThreads / CB;
  const int cc = tid % CB, q = tid / CB, c = c0 + cc;
  float sum = 0.f;
  if (c < a.Cexp) {
    const float bias = a.bd[c];
    const float* wd = a.wd + c;
    const int64_t kstride = a.Cexp;
    for (int o = q; o < th * tw; o += kPixelLanes) {
      const int oy = o / tw, ox = o - oy * tw;
      const float* base = es + ((oy * a.stride) * pw + ox * a.stride) * CB + cc;
      // Only the taps inside the image, as the composed depthwise conv sums them: the patch's zeros
      // outside would make 0 * inf = NaN with an infinite weight there. Finite weights give the same sums.
      const int wy = iy0 + oy * a.stride, wx = ix0 + ox * a.stride;  // the window's first image row, column
      const int ky_end = min(a.k, a.H - wy), kx_end = min(a.k, a.W - wx);
      float acc = 0.f;
      for (int ky = max(0, -wy); ky < ky_end; ++ky) {
        const float* row = base + ky * pw * CB;
        const float* wrow = wd + static_cast<int64_t>(ky) * a.k * kstride;
        for (int kx = max(0, -wx); kx < kx_end; ++kx) acc = fmaf(row[kx * CB], __ldg(wrow + kx * kstride), acc);
      }
      const float v = swish(acc + bias);
      a.d[((static_cast<int64_t>(n) * a.Ho + oy0 + oy) * a.Wo + ox0 + ox) * a.Cexp + c] = v;
      sum += v;
    }
  }
  __syncthreads();  // es is free: the channel sums go there
  float* red = smem;
  red[q * CB + cc] = sum;
  __syncthreads();
  if (q == 0 && c < a.Cexp) {
    float total = 0.f;
    for (int i = 0; i < kPixelLanes; ++i) total += red[i * CB + cc];
    a.partial[(static_cast<int64_t>(n) * a.tiles + tile) * a.Cexp + c] = total;
  }
}

// hidden[n][j] = swish(br[j] + sum_c mean[n][c] * wr[c][j]): 32 outputs per block, the channel
// sum split over 8 warps (each a fixed residue class of c), added in warp order.
__global__ void __launch_bounds__(kBlockThreads) se_reduce_kernel(const float* __restrict__ mean, const float* __restrict__ wr,
                                                                  const float* __restrict__ br, float* __restrict__ hidden,
                                                                  int n0, int cexp, int cse) {
  constexpr int kWarps = kBlockThreads / 32;
  __shared__ float red[kWarps][32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int j = blockIdx.x * 32 + lane;
  const int64_t n = n0 + blockIdx.y;
  float s = 0.f;
  if (j < cse) {
    const float* m = mean + n * cexp;
    for (int c = warp; c < cexp; c += kWarps) s = fmaf(m[c], wr[static_cast<int64_t>(c) * cse + j], s);
  }
  red[warp][lane] = s;
  __syncthreads();
  if (warp == 0 && j < cse) {
    float t = br[j];
    for (int i = 0; i < kWarps; ++i) t += red[i][lane];
    hidden[n * cse + j] = swish(t);
  }
}

// gate[n][c] = sigmoid(bx[c] + sum_j hidden[n][j] * wx[j][c]).
__global__ void se_gate_kernel(const float* __restrict__ hidden, const float* __restrict__ wx, const float* __restrict__ bx,
                               float* __restrict__ gate, int n0, int cexp, int cse) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  const int64_t n = n0 + blockIdx.y;
  if (c >= cexp) return;
  const float* h = hidden + n * cse;
  float t = bx[c];
  for (int j = 0; j < cse; ++j) t = fmaf(h[j], wx[static_cast<int64_t>(j) * cexp + c], t);
  gate[n * cexp + c] = sigmoid(t);
}

// A of the projection: d [batch][pixels][Cexp] times the image's gate, channel by channel.
struct GatedLoad {
  const float* d;
  const float* gate;
  int64_t pixels, channels;
  __device__ __forceinline__ float operator()(int64_t batch, int64_t m, int64_t k) const {
    return d[(batch * pixels + m) * channels + k] * gate[batch * channels + k];
  }
};

// How the expand + depthwise kernel tiles the output.
struct Plan {
  int cb = 32;
  int th = 1, tw = 1, tiles_h = 1, tiles_w = 1;
  size_t smem = 0;
};

size_t smem_bytes(int cb, int th, int tw, int k, int stride) {
  const int pixels = ((th - 1) * stride + k) * ((tw - 1) * stride + k);
  return static_cast<size_t>(patch_region(pixels, cb) + kSliceRegion + kSliceK * cb) * sizeof(float);
}

// What the tiling depends on, from device 0: the largest shared memory a block may opt into (sm_80:
// 163 KiB, sm_86/89: 99 KiB, sm_90: 227 KiB) and the number of multiprocessors.
struct DeviceLimits {
  size_t shared_memory = 48 * 1024;
  int multiprocessors = 1;
};

const DeviceLimits& device_limits() {
  static std::once_flag once;
  static DeviceLimits limits;
  std::call_once(once, [] {
    int device = 0, optin = 0, sms = 0;
    if (cudaGetDevice(&device) == cudaSuccess &&
        cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) == cudaSuccess &&
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) == cudaSuccess && optin > 0 && sms > 0) {
      limits.shared_memory = static_cast<size_t>(optin);
      limits.multiprocessors = sms;
    } else {
      (void)cudaGetLastError();
    }
  });
  return limits;
}

// Output tiles of up to 16x16 (stride 1) or 8x8 (stride 2) pixels for `cb` channels a block, halved
// while the patch does not fit in `budget` bytes of shared memory. False when even one output pixel
// does not fit.
bool plan_for(const MBConvParams& p, int cb, size_t budget, Plan* plan) {
  const int k = static_cast<int>(p.kernel_size), s = static_cast<int>(p.stride);
  const int ho = static_cast<int>(p.out_h), wo = static_cast<int>(p.out_w);
  int th = std::min(ho, s == 1 ? 16 : 8), tw = std::min(wo, s == 1 ? 16 : 8);
  while (smem_bytes(cb, th, tw, k, s) > budget && (th > 1 || tw > 1)) {
    if (th >= tw) {
      th = th / 2;
    } else {
      tw = tw / 2;
    }
  }
  if (smem_bytes(cb, th, tw, k, s) > budget) return false;
  plan->cb = cb;
  plan->th = th;
  plan->tw = tw;
  plan->tiles_h = (ho + th - 1) / th;
  plan->tiles_w = (wo + tw - 1) / tw;
  plan->smem = smem_bytes(cb, th, tw, k, s);
  return true;
}

// 32 channels a block; 8 when that gives fewer blocks than the GPU has multiprocessors (small images
// at small batches), when 32 do not fit even for one output pixel (kernels larger than about 21x21),
// or when there are no more than 8 expanded channels.
Plan plan_tiles(const MBConvParams& p) {
  const DeviceLimits& limits = device_limits();
  const size_t budget = std::min<size_t>(limits.shared_memory, 96 * 1024);
  Plan wide, narrow;
  const bool wide_fits = p.expanded_channels > 8 && plan_for(p, 32, budget, &wide);
  const bool narrow_fits = plan_for(p, 8, budget, &narrow);
  if (wide_fits) {
    const int64_t blocks = int64_t(wide.tiles_h) * wide.tiles_w * ((p.expanded_channels + 31) / 32) * p.batch;
    if (blocks >= limits.multiprocessors || !narrow_fits) return wide;
  }
  if (narrow_fits) return narrow;
  throw Error(std::string(kOp) + "a " + std::to_string(p.kernel_size) + "x" + std::to_string(p.kernel_size) +
              " kernel needs more shared memory than the GPU has");
}

template <int CB>
void launch_expand_depthwise(const ExpandDepthwiseArgs& args, const Plan& plan, int images, cudaStream_t st) {
  const auto kernel = expand_depthwise_kernel<CB>;
  if (plan.smem > 48 * 1024) {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(plan.smem)));
  }
  const dim3 grid(static_cast<unsigned>(args.tiles), static_cast<unsigned>((args.Cexp + CB - 1) / CB),
                  static_cast<unsigned>(images));
  kernel<<<grid, kBlockThreads, plan.smem, st>>>(args);
  CUDA_CHECK_LAUNCH("mbconv expand+depthwise");
}

}  // namespace

void mbconv(const MBConvParams& p, const float* x, const MBConvDeviceWeights& w, float* out) {
  mbconv_validate(p);
  const std::string op = kOp;
  if (p.has_stem) throw Error(op + "a stem in the block is supported on native-cpu only; run the stem conv first");
  if (p.batch == 0) return;
  if (x == nullptr || out == nullptr || w.depthwise_kernel == nullptr || w.depthwise_bias == nullptr ||
      w.se_reduce_kernel == nullptr || w.se_reduce_bias == nullptr || w.se_expand_kernel == nullptr ||
      w.se_expand_bias == nullptr || w.project_kernel == nullptr || w.project_bias == nullptr ||
      (p.has_expand && (w.expand_kernel == nullptr || w.expand_bias == nullptr))) {
    throw Error(op + "a weight is missing");
  }
  if (x == out) throw Error(op + "out must not be x's buffer");
  const int64_t N = p.batch, Ho = p.out_h, Wo = p.out_w, Cexp = p.expanded_channels, Cse = p.se_channels;
  const int64_t Cout = p.out_channels;
  const int64_t pixels = Ho * Wo;
  if (pixels > int64_t(kMaxGridYZ) * kGemmBM || Cexp > (int64_t(1) << 24) || Cse > (int64_t(1) << 24)) {
    throw Error(op + "dimensions beyond the GPU kernels' range (output pixels <= " +
                std::to_string(int64_t(kMaxGridYZ) * kGemmBM) + ", channels <= 2^24)");
  }
  cudaStream_t st = stream();  // throws unless CUDA is usable; the tiling queries the device
  const Plan plan = plan_tiles(p);
  const int64_t tiles = static_cast<int64_t>(plan.tiles_h) * plan.tiles_w;
  if (tiles > 0x7fffffff || (Cexp + plan.cb - 1) / plan.cb > kMaxGridYZ || (Cse + 31) / 32 > kMaxGridYZ) {
    throw Error(op + "dimensions beyond the GPU kernels' range");
  }

  // Scratch: freed blocks go back to the caching allocator; later work on the engine's one stream
  // is ordered after the kernels queued here, so reuse is safe.
  // Every element of each is written by one kernel below before the next reads it: no zero fill.
  constexpr DeviceBuffer::Zeroing kWritten = DeviceBuffer::Zeroing::kNone;
  DeviceBuffer d(checked_count(kOp, {N, Ho, Wo, Cexp}) * sizeof(float), kWritten);
  DeviceBuffer partial(checked_count(kOp, {N, tiles, Cexp}) * sizeof(float), kWritten);
  DeviceBuffer mean(checked_count(kOp, {N, Cexp}) * sizeof(float), kWritten);
  DeviceBuffer hidden(checked_count(kOp, {N, Cse}) * sizeof(float), kWritten);
  DeviceBuffer gate(checked_count(kOp, {N, Cexp}) * sizeof(float), kWritten);
  float* d_p = static_cast<float*>(d.data());
  float* partial_p = static_cast<float*>(partial.data());
  float* mean_p = static_cast<float*>(mean.data());
  float* hidden_p = static_cast<float*>(hidden.data());
  float* gate_p = static_cast<float*>(gate.data());

  ExpandDepthwiseArgs args{};
  args.x = x;
  args.we = p.has_expand ? w.expand_kernel : nullptr;
  args.be = p.has_expand ? w.expand_bias : nullptr;
  args.wd = w.depthwise_kernel;
  args.bd = w.depthwise_bias;
  args.d = d_p;
  args.partial = partial_p;
  args.H = static_cast<int>(p.in_h);
  args.W = static_cast<int>(p.in_w);
  args.Cin = static_cast<int>(p.in_channels);
  args.Cexp = static_cast<int>(Cexp);
  args.Ho = static_cast<int>(Ho);
  args.Wo = static_cast<int>(Wo);
  args.k = static_cast<int>(p.kernel_size);
  args.stride = static_cast<int>(p.stride);
  args.pad_top = static_cast<int>(p.pad_top);
  args.pad_left = static_cast<int>(p.pad_left);
  args.th = plan.th;
  args.tw = plan.tw;
  args.tiles_w = plan.tiles_w;
  args.tiles = static_cast<int>(tiles);

  Epilogue ep;
  ep.out_shape = {N, Ho, Wo, Cout};
  ep.bias = broadcast_operand("projectBias", w.project_bias, {Cout}, ep.out_shape);
  const int64_t in_image = p.in_h * p.in_w * p.in_channels;
  const MatrixLoad project{w.project_kernel, 1, 0, Cout, 1};
  const unsigned cexp_blocks = static_cast<unsigned>((Cexp + kBlockThreads - 1) / kBlockThreads);
  const unsigned cse_blocks = static_cast<unsigned>((Cse + 31) / 32);
  const double inv_count = 1.0 / static_cast<double>(pixels);
  const Precision gemm_precision = precision();  // one setting for every image of this call

  for (int64_t n0 = 0; n0 < N; n0 += kMaxGridYZ) {
    const int images = static_cast<int>(std::min<int64_t>(kMaxGridYZ, N - n0));
    args.n0 = static_cast<int>(n0);
    if (plan.cb == 32) {
      launch_expand_depthwise<32>(args, plan, images, st);
    } else {
      launch_expand_depthwise<8>(args, plan, images, st);
    }
    tile_mean_kernel<<<dim3(cexp_blocks, images), kBlockThreads, 0, st>>>(partial_p, mean_p, args.n0, args.tiles,
                                                                         args.Cexp, inv_count);
    CUDA_CHECK_LAUNCH("mbconv SE mean");
    se_reduce_kernel<<<dim3(cse_blocks, images), kBlockThreads, 0, st>>>(mean_p, w.se_reduce_kernel, w.se_reduce_bias,
                                                                        hidden_p, args.n0, args.Cexp,
                                                                        static_cast<int>(Cse));
    CUDA_CHECK_LAUNCH("mbconv SE reduce");
    se_gate_kernel<<<dim3(cexp_blocks, images), kBlockThreads, 0, st>>>(hidden_p, w.se_expand_kernel, w.se_expand_bias,
                                                                       gate_p, args.n0, args.Cexp,
                                                                       static_cast<int>(Cse));
    CUDA_CHECK_LAUNCH("mbconv SE gate");

    ep.residual = p.residual ? x + n0 * in_image : nullptr;
    const DeviceEpilogue dep = to_device(ep);
    const GatedLoad gated{d_p + n0 * pixels * Cexp, gate_p + n0 * Cexp, pixels, Cexp};
    launch_gemm_in(gemm_precision, gated, project, out + n0 * pixels * Cout, images, pixels, Cout, Cexp, dep,
                   st);
  }
}

}  // namespace cuda
}  // namespace effnet
