// The 5x80 tile against 8x48 and 6x64 on the library's GEMM (gemm_compute, one thread, A and B hot, the
// three tiles by turns, 3000 runs each): N = 80 and 160 (EfficientNet's projections to 80 and 160
// channels, which 8x48 pads by 20% and 6x64 by 60% / 20%) and shapes where no tile pads.
//
// Not part of the package build. After `npm install` (which builds build/libeffnet_cpu.a):
//   g++ -O2 -std=c++17 -march=native -Icpp/include -Icpp bench/pipes/gemm-tiles.cc build/libeffnet_cpu.a -lpthread -o /tmp/gemm-tiles
//   taskset -c 1 /tmp/gemm-tiles
// The floor is the multiply-adds at 113 G/s (this core's FMA peak); maxdiff compares 5x80's output with 8x48's.
//
// Measured 2026-11-30 ~12:12 UTC, Zen 5 build machine (AMD EPYC family 26 model 2), vCPU 1 (median us, p10):
//   225x480x80 +res floor 76.5:   5x80 78.1 (77.4)    8x48 97.1 (96.4)    6x64 128.4 (127.3)  maxdiff 0
//   225x240x80 floor 38.2:        5x80 38.4 (38.2)    8x48 48.1 (47.8)    6x64 62.8 (62.5)    maxdiff 0
//   196x480x80 +res floor 66.6:   5x80 68.4 (67.8)    8x48 83.4 (82.9)    6x64 111.1 (110.3)  maxdiff 0
//   784x240x80 floor 133.2:       5x80 135.0 (133.9)  8x48 169.0 (167.0)  6x64 221.2 (219.5)  maxdiff 0
//   1x1920x80 floor 1.4:          5x80 7.1 (6.7)      8x48 8.5 (8.0)      6x64 11.3 (10.6)    maxdiff 0
//   225x960x160 +res floor 305.8: 5x80 338.9 (327.0)  8x48 432.1 (391.5)  6x64 431.3 (390.8)  maxdiff 0
//   1444x960x160 +res floor 1963: 5x80 2424 (2346)    8x48 2923 (2840)    6x64 2916 (2834)    maxdiff 0
//   64x1152x320 floor 208.8:      5x80 225.5 (218.3)  8x48 234.1 (227.0)  6x64 225.1 (217.8)
//   64x1920x320 +res floor 348.0: 5x80 412.0 (370.1)  8x48 426.6 (384.8)  6x64 408.8 (369.4)
//   64x320x1920 floor 348.0:      5x80 409.8 (377.8)  8x48 400.4 (368.5)  6x64 412.5 (377.0)
//   64x320x1280 floor 232.0:      5x80 253.5 (247.5)  8x48 248.4 (243.7)  6x64 250.7 (244.9)
//   225x672x240 floor 321.1:      5x80 350.8 (344.7)  8x48 349.6 (344.0)  6x64 378.1 (368.6)
//   900x144x240 floor 275.3:      5x80 318.7 (296.3)  8x48 317.1 (291.9)  6x64 337.9 (310.1)
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include "effnet/gemm.h"
#include "effnet/isa.h"
using namespace effnet;
int main() {
  auto ks = gemm_kernels(Isa::kAvx512);
  auto find = [&](const char* name) {
    for (auto& k : ks) {
      if (std::string(k.name) == name) return k;
    }
    std::abort();
  };
  struct Shape {
    size_t m, k, n;
    bool residual;
  };
  Shape shapes[] = {{225, 480, 80, true}, {225, 240, 80, false}, {196, 480, 80, true}, {784, 240, 80, false},
                    {1, 1920, 80, false}, {225, 960, 160, true}, {1444, 960, 160, true}, {64, 1152, 320, false},
                    {64, 1920, 320, true}, {64, 320, 1920, false}, {64, 320, 1280, false}, {225, 672, 240, false},
                    {900, 144, 240, false}};
  const char* names[] = {"5x80-avx512", "8x48-avx512", "6x64-avx512"};
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto s : shapes) {
    std::vector<float> a(s.m * s.k), b(s.k * s.n), bias(s.n), res(s.m * s.n);
    for (auto* vec : {&a, &b, &bias, &res}) {
      for (auto& v : *vec) v = u(rng);
    }
    std::vector<std::vector<float>> packed, out;
    std::vector<GemmKernel> kern;
    for (auto nm : names) {
      auto k = find(nm);
      kern.push_back(k);
      packed.emplace_back(gemm_packed_floats(k, s.k, s.n));
      gemm_pack_b(k, s.k, s.n, b.data(), s.n, 1, packed.back().data());
      out.emplace_back(s.m * s.n);
    }
    GemmEpilogueParams ep;
    ep.bias = bias.data();
    if (s.residual) {
      ep.residual = res.data();
      ep.residual_stride = s.n;
    }
    std::vector<std::vector<double>> t(3);
    for (int it = 0; it < 3000; ++it) {
      for (int v = 0; v < 3; ++v) {
        auto t0 = std::chrono::steady_clock::now();
        gemm_compute(kern[v], s.m, s.n, s.k, a.data(), s.k, packed[v].data(), out[v].data(), s.n, ep, false, false);
        t[v].push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
    }
    double maxdiff = 0;
    for (size_t i = 0; i < out[0].size(); ++i) maxdiff = std::max(maxdiff, static_cast<double>(std::abs(out[0][i] - out[1][i])));
    const double floor_us = s.m * s.k * s.n / 113.0e3;
    std::printf("%zux%zux%zu%s floor %.1f us:", s.m, s.k, s.n, s.residual ? " +res" : "", floor_us);
    for (int v = 0; v < 3; ++v) {
      std::sort(t[v].begin(), t[v].end());
      std::printf("  %s %.1f (p10 %.1f)", names[v], t[v][1500], t[v][300]);
    }
    std::printf("  maxdiff %.2e\n", maxdiff);
  }
}
