// Host check of Conv2D's GEMM on the GPU with infinite and NaN values (cuda/gemm.cuh's float32 kernel
// reading A through cuda/im2col.cuh), no GPU needed: the kernel's own source compiled as C++20 against
// the stand-in runtime (fake_cuda/), each block run by 256 std::threads with a std::barrier for
// __syncthreads. Each output is compared with the sum tfjs-backend-cpu makes, over the taps inside the
// image only: filters with infinite or NaN weights at taps that fall in the padding, inputs with
// infinities and NaN, strides, dilations, explicit padding. Built and run by
// test/cuda_kernels_emulated.test.ts; prints one line per case and exits 1 when one fails.
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "cuda_runtime.h"  // test/native/fake_cuda

struct Dim3 { unsigned x = 1, y = 1, z = 1; };
thread_local Dim3 threadIdx, blockIdx;
Dim3 blockDim, gridDim;
std::barrier<>* g_barrier = nullptr;
#define __launch_bounds__(x)
#define __shared__ static
#define __syncthreads() g_barrier->arrive_and_wait()

#include "gemm.cuh"
#include "im2col.cuh"

using effnet::cuda::DeviceEpilogue;
using effnet::cuda::gemm_kernel;
using effnet::cuda::Im2ColLoad;
using effnet::cuda::kGemmBM;
using effnet::cuda::kGemmBN;
using effnet::cuda::kGemmThreads;
using effnet::cuda::MatrixLoad;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Case {
  const char* name;
  int batch, in_h, in_w, in_c, out_c, filter_h, filter_w, stride, dilation, pad_top, pad_left, pad_bottom, pad_right;
  // Non-finite values: {filter index, value} and {x index, value}.
  std::vector<std::pair<int, float>> filter_specials, x_specials;
};

// conv2d as launch_gemm launches it (one matrix, M = batch * out_h * out_w), the epilogue trivial.
std::vector<float> gpu_conv(const Case& c, const std::vector<float>& x, const std::vector<float>& w, int out_h, int out_w,
                            bool repair) {
  const int64_t M = static_cast<int64_t>(c.batch) * out_h * out_w, N = c.out_c, K = static_cast<int64_t>(c.filter_h) * c.filter_w * c.in_c;
  std::vector<float> out(static_cast<size_t>(M * N), -1.f);
  Im2ColLoad a{x.data(), c.in_h, c.in_w, c.in_c, out_h, out_w, c.filter_h, c.filter_w, c.stride, c.stride, c.dilation,
               c.dilation, c.pad_top, c.pad_left};
  MatrixLoad b{w.data(), 1, 0, N, 1};
  DeviceEpilogue ep{};
  ep.trivial = true;
  gridDim = Dim3{static_cast<unsigned>((N + kGemmBN - 1) / kGemmBN), static_cast<unsigned>((M + kGemmBM - 1) / kGemmBM), 1};
  blockDim = Dim3{kGemmThreads, 1, 1};
  for (unsigned by = 0; by < gridDim.y; ++by) {
    for (unsigned bx = 0; bx < gridDim.x; ++bx) {
      std::barrier<> bar(kGemmThreads);
      g_barrier = &bar;
      std::vector<std::thread> threads;
      for (unsigned t = 0; t < kGemmThreads; ++t) {
        threads.emplace_back([&, t] {
          threadIdx = Dim3{t, 1, 1};
          blockIdx = Dim3{bx, by, 0};
          if (repair) {
            gemm_kernel<Im2ColLoad, MatrixLoad>(a, b, out.data(), M, N, K, ep);
          } else {
            // The same GEMM without the repair: what the kernel computed before it (a loader without repair()).
            struct Plain {
              Im2ColLoad a;
              float operator()(int64_t bb, int64_t m, int64_t k) const { return a(bb, m, k); }
            };
            gemm_kernel<Plain, MatrixLoad>(Plain{a}, b, out.data(), M, N, K, ep);
          }
        });
      }
      for (auto& th : threads) th.join();
    }
  }
  return out;
}

// tfjs-backend-cpu's conv2D: per output, the taps inside the image in filter row, filter column,
// input channel order, each product added to a float32 sum. Also the sum of the terms' magnitudes.
void reference(const Case& c, const std::vector<float>& x, const std::vector<float>& w, int out_h, int out_w,
               std::vector<float>& out, std::vector<double>& scale) {
  out.assign(static_cast<size_t>(c.batch) * out_h * out_w * c.out_c, 0.f);
  scale.assign(out.size(), 0.0);
  for (int n = 0; n < c.batch; ++n)
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox)
        for (int co = 0; co < c.out_c; ++co) {
          float s = 0.f;
          double mag = 0.0;
          for (int fy = 0; fy < c.filter_h; ++fy) {
            const int iy = oy * c.stride - c.pad_top + fy * c.dilation;
            if (iy < 0 || iy >= c.in_h) continue;
            for (int fx = 0; fx < c.filter_w; ++fx) {
              const int ix = ox * c.stride - c.pad_left + fx * c.dilation;
              if (ix < 0 || ix >= c.in_w) continue;
              for (int ci = 0; ci < c.in_c; ++ci) {
                const float xv = x[((static_cast<size_t>(n) * c.in_h + iy) * c.in_w + ix) * c.in_c + ci];
                const float wv = w[((static_cast<size_t>(fy) * c.filter_w + fx) * c.in_c + ci) * c.out_c + co];
                s += xv * wv;
                mag += std::fabs(static_cast<double>(xv) * wv);
              }
            }
          }
          const size_t o = ((static_cast<size_t>(n) * out_h + oy) * out_w + ox) * c.out_c + co;
          out[o] = s;
          scale[o] = mag;
        }
}

bool run(const Case& c, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> x(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c), w(static_cast<size_t>(c.filter_h) * c.filter_w * c.in_c * c.out_c);
  for (float& v : x) v = u(rng);
  for (float& v : w) v = u(rng);
  for (const auto& [i, v] : c.filter_specials) w[static_cast<size_t>(i)] = v;
  for (const auto& [i, v] : c.x_specials) x[static_cast<size_t>(i)] = v;
  const int eff_h = (c.filter_h - 1) * c.dilation + 1, eff_w = (c.filter_w - 1) * c.dilation + 1;
  const int out_h = (c.in_h + c.pad_top + c.pad_bottom - eff_h) / c.stride + 1;
  const int out_w = (c.in_w + c.pad_left + c.pad_right - eff_w) / c.stride + 1;

  std::vector<float> want;
  std::vector<double> scale;
  reference(c, x, w, out_h, out_w, want, scale);
  const std::vector<float> got = gpu_conv(c, x, w, out_h, out_w, /*repair=*/true);
  const std::vector<float> plain = gpu_conv(c, x, w, out_h, out_w, /*repair=*/false);

  int bad = 0, repaired = 0, nan = 0, inf = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const float e = want[i], g = got[i];
    bool ok;
    if (std::isnan(e)) ok = std::isnan(g);
    else if (std::isinf(e)) ok = g == e;
    else ok = std::isfinite(g) && std::fabs(static_cast<double>(g) - e) <= 1e-5 * (scale[i] + 1e-6);
    if (!ok && bad++ < 5) std::printf("  %s: output %zu got %g, want %g\n", c.name, i, g, e);
    if (std::isnan(plain[i]) && !std::isnan(e)) ++repaired;
    nan += std::isnan(e);
    inf += std::isinf(e);
  }
  // Every case with an infinite weight must reach the repair: otherwise it checks nothing new.
  const bool needs_repair = !c.filter_specials.empty();
  const bool pass = bad == 0 && (!needs_repair || repaired > 0);
  std::printf("%s %s: %zu outputs, %d NaN, %d infinite, %d repaired (NaN without the repair)%s\n", pass ? "ok  " : "FAIL", c.name,
              want.size(), nan, inf, repaired, pass || bad ? "" : " - the case never reached the repair");
  return pass;
}

}  // namespace

int main() {
  // Filter index ((fy * filter_w + fx) * in_c + ci) * out_c + co; x index ((n * in_h + y) * in_w + x) * in_c + c.
  const std::vector<Case> cases = {
      // 3x3 'same': +inf at the top-left tap of output channel 0, -inf at the bottom-right of channel 2,
      // NaN at the centre-left of channel 3 (outputs whose left column is padding stay finite).
      {"3x3 same, stride 1", 2, 9, 7, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1,
       {{(0 * 3 + 0) * 5 * 6 + 1 * 6 + 0, kInf}, {(2 * 3 + 2) * 5 * 6 + 4 * 6 + 2, -kInf}, {(1 * 3 + 0) * 5 * 6 + 0 * 6 + 3, kNaN}},
       {}},
      {"3x3 same, stride 2, infinite inputs too", 1, 10, 11, 3, 4, 3, 3, 2, 1, 0, 0, 1, 1,
       {{(2 * 3 + 2) * 3 * 4 + 2 * 4 + 1, kInf}},
       {{(0 * 11 + 5) * 3 + 1, kInf}, {(4 * 11 + 4) * 3 + 0, -kInf}, {(7 * 11 + 2) * 3 + 2, kNaN}}},
      {"5x5 dilation 2, explicit padding", 1, 12, 9, 4, 5, 5, 5, 1, 2, 3, 1, 2, 4,
       {{(0 * 5 + 4) * 4 * 5 + 3 * 5 + 4, -kInf}, {(4 * 5 + 0) * 4 * 5 + 0 * 5 + 0, kInf}},
       {}},
      {"7x7 stride 2, 70 input channels (K over several slices)", 1, 13, 13, 70, 3, 7, 7, 2, 1, 3, 3, 3, 3,
       {{(0 * 7 + 0) * 70 * 3 + 69 * 3 + 1, kInf}, {(6 * 7 + 6) * 70 * 3 + 0 * 3 + 1, kInf}},
       {}},
      {"1x1 with padding", 1, 5, 6, 7, 9, 1, 1, 1, 1, 1, 2, 0, 1,
       {{3 * 9 + 8, kInf}},
       {}},
      // Both signs of infinity inside the window: NaN stays NaN (inf - inf), as in tfjs-backend-cpu.
      {"inf - inf inside the window", 1, 6, 6, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1,
       {{(1 * 3 + 1) * 2 * 2 + 0 * 2 + 0, kInf}, {(1 * 3 + 2) * 2 * 2 + 0 * 2 + 0, -kInf}},
       {}},
      // Finite filters: nothing to repair, NaN and infinities come from x alone.
      {"finite filter, NaN and inf inputs", 1, 8, 8, 3, 5, 3, 3, 1, 1, 1, 1, 1, 1,
       {},
       {{(0 * 8 + 0) * 3 + 0, kNaN}, {(3 * 8 + 7) * 3 + 2, kInf}, {(5 * 8 + 2) * 3 + 1, -kInf}}},
  };
  int failed = 0;
  unsigned seed = 1;
  for (const Case& c : cases) failed += !run(c, seed++);
  if (failed) {
    std::printf("conv repair checks: %d FAILED\n", failed);
    return 1;
  }
  std::printf("conv repair checks: all passed\n");
  return 0;
}
