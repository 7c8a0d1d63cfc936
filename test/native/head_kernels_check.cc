// Host check of the fused head's CUDA kernels (cuda/head.cuh, cuda/tile_mean.cuh), no GPU needed: the
// kernels' own source compiled as C++20, each block run by blockDim.x std::threads with a std::barrier
// for __syncthreads and __shared__ arrays shared by them, launched as cuda/head.cu launches them (images
// in launches of at most 65535, here fewer to exercise the split). Each result is compared with a
// float64 reference of conv 1x1 + bias + swish, mean over pixels, classifier. Built and run by
// test/head_kernels_emulated.test.ts; prints one line per case and exits 1 when one fails.
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <thread>
#include <vector>

struct Dim3 { unsigned x = 1, y = 1, z = 1; };
thread_local Dim3 threadIdx, blockIdx;
Dim3 blockDim, gridDim;
std::barrier<>* g_barrier = nullptr;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __shared__ static
#define __syncthreads() g_barrier->arrive_and_wait()

#include "head.cuh"

using namespace effnet::cuda::head_kernels;
using effnet::cuda::tile_mean_kernel;

template <class F>
void launch(Dim3 grid, unsigned threads, F body) {
  gridDim = grid;
  blockDim = Dim3{threads, 1, 1};
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        std::barrier<> bar(threads);
        g_barrier = &bar;
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < threads; ++t)
          ts.emplace_back([&, t] { threadIdx = Dim3{t, 0, 0}; blockIdx = Dim3{x, y, z}; body(); });
        for (auto& th : ts) th.join();
      }
}

// Mirrors cuda/head.cu's launches (images in launches of at most `max_images`).
void head_emulated(int64_t N, int64_t P, int64_t Cin, int64_t Ch, int64_t classes, const float* x, const float* wc,
                   const float* bc, const float* wd, const float* bd, float* out, int64_t max_images) {
  const int64_t tiles = (P + kTileP - 1) / kTileP;
  std::vector<float> partial(N * tiles * Ch, 0.f), mean(N * Ch, 0.f);
  ConvPoolArgs args{};
  args.x = x; args.wc = wc; args.bc = bc; args.partial = partial.data();
  args.P = int(P); args.Cin = int(Cin); args.Ch = int(Ch); args.tiles = int(tiles);
  const double inv = 1.0 / double(P);
  const unsigned cb = unsigned((Ch + kTileC - 1) / kTileC), mb = unsigned((Ch + kThreads - 1) / kThreads),
                 db = unsigned((classes + 31) / 32);
  for (int64_t n0 = 0; n0 < N; n0 += max_images) {
    const unsigned images = unsigned(std::min<int64_t>(max_images, N - n0));
    args.n0 = int(n0);
    launch(Dim3{cb, unsigned(tiles), images}, kThreads, [&] { head_conv_pool_kernel(args); });
    launch(Dim3{mb, images, 1}, kThreads, [&] { tile_mean_kernel(partial.data(), mean.data(), int(n0), int(tiles), int(Ch), inv); });
    launch(Dim3{db, images, 1}, kThreads, [&] { head_dense_kernel(mean.data(), wd, bd, out, int(n0), int(Ch), int(classes)); });
  }
}

int run(int64_t N, int64_t H, int64_t W, int64_t Cin, int64_t Ch, int64_t classes, int64_t max_images, unsigned seed) {
  const int64_t P = H * W;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  auto fill = [&](std::vector<float>& v, float scale) { for (auto& e : v) e = u(rng) * scale; };
  std::vector<float> x(N * P * Cin), wc(Cin * Ch), bc(Ch), wd(Ch * classes), bd(classes);
  fill(x, 1.f); fill(wc, std::sqrt(6.f / Cin)); fill(bc, 0.1f); fill(wd, 1.f / std::sqrt(float(Ch))); fill(bd, 0.1f);
  std::vector<float> out(N * classes, NAN);
  head_emulated(N, P, Cin, Ch, classes, x.data(), wc.data(), bc.data(), wd.data(), bd.data(), out.data(), max_images);
  // Reference in double.
  double worst = 0;
  for (int64_t n = 0; n < N; ++n) {
    std::vector<double> m(Ch, 0.0);
    for (int64_t p = 0; p < P; ++p)
      for (int64_t c = 0; c < Ch; ++c) {
        double v = bc[c];
        for (int64_t k = 0; k < Cin; ++k) v += double(x[(n * P + p) * Cin + k]) * wc[k * Ch + c];
        m[c] += v / (1 + std::exp(-v));
      }
    for (int64_t j = 0; j < classes; ++j) {
      double y = bd[j];
      for (int64_t c = 0; c < Ch; ++c) y += m[c] / P * wd[c * classes + j];
      const double err = std::fabs(out[n * classes + j] - y) / (1e-4 + std::fabs(y));
      if (!(err <= worst)) worst = err;  // NaN-safe
    }
  }
  const bool ok = worst <= 1e-4;
  std::printf("N=%lld %lldx%lld Cin=%lld Ch=%lld classes=%lld launches of %lld images: worst rel err %.3g %s\n",
              (long long)N, (long long)H, (long long)W, (long long)Cin, (long long)Ch, (long long)classes,
              (long long)max_images, worst, ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}

int main() {
  int bad = 0;
  bad += run(1, 7, 7, 320, 1280, 101, 65535, 1);  // B0's head (classes cut to keep it quick)
  bad += run(3, 13, 5, 17, 70, 33, 2, 4);          // 65 pixels (two tiles), K not a multiple of 16, launches of 2 images
  bad += run(1, 1, 1, 1, 1, 1, 65535, 5);          // the smallest
  bad += run(2, 9, 9, 45, 130, 65, 65535, 7);      // channels past one 64-wide tile, odd classes
  std::printf("head kernel checks: %s\n", bad == 0 ? "all passed" : "FAILED");
  return bad == 0 ? 0 : 1;
}
