// What the GEMM's swish epilogue costs: cycles per 16 outputs of gemm_compute (hot, one thread, the tile
// gemm_select picks) with a linear epilogue (bias), the swish and the scaled swish (kSwishScaled, whose input
// the packed weights already multiplied by -log2(e)), against the K FMAs alone at two a cycle.
//
// Not part of the package build. After `npm install` (which builds build/libeffnet_cpu.a):
//   g++ -O2 -std=c++17 -march=native -Icpp/include -Icpp bench/pipes/gemm-epilogue.cc build/libeffnet_cpu.a -lpthread -o /tmp/gemm-epilogue
//   EFFNET_GHZ=3.49 taskset -c 1 /tmp/gemm-epilogue
//
// Measured 2026-11-30 ~12:25 UTC, Zen 5 build machine (AMD EPYC family 26 model 2), vCPU 1, at 3.49 GHz:
//   14400x16x96 8x48   linear 10.50  swish 15.26  scaled 14.73  (FMAs alone 8)
//   3600x24x144 8x48   linear 13.69  swish 18.17  scaled 17.67  (12)
//   900x40x240 8x48    linear 21.28  swish 25.78  scaled 25.24  (20)
//   225x112x672 8x48   linear 56.65  swish 60.96  scaled 60.38  (56)
//   64x192x1152 6x64   linear 98.62  swish 104.03 scaled 103.45 (96)
// The scaled swish adds 4.2-4.7 cycles a vector: its four FMAs and division hold the FMA pipes for ~3.3
// (bench/pipes/fma-pipes.cc). Written in groups of four vectors step by step instead of one vector at a time
// (the compiler keeps the source order), K = 16 went 14.19 -> 15.33: the out-of-order core already overlaps them.
#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>
#include "effnet/gemm.h"
#include "effnet/isa.h"
using namespace effnet;
int main() {
  struct Shape {
    size_t m, k, n;
  };
  Shape shapes[] = {{14400, 16, 96}, {3600, 24, 144}, {900, 40, 240}, {225, 112, 672}, {64, 192, 1152}};
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto s : shapes) {
    GemmKernel kern = gemm_select(s.n);
    std::vector<float> a(s.m * s.k), b(s.k * s.n), bias(s.n), c(s.m * s.n);
    for (auto* vec : {&a, &b, &bias}) {
      for (auto& v : *vec) v = u(rng);
    }
    std::vector<float> packed(gemm_packed_floats(kern, s.k, s.n));
    gemm_pack_b(kern, s.k, s.n, b.data(), s.n, 1, packed.data());
    Activation acts[] = {Activation::kLinear, Activation::kSwish, Activation::kSwishScaled};
    std::vector<double> t[3];
    for (int it = 0; it < 1500; ++it) {
      for (int v = 0; v < 3; ++v) {
        GemmEpilogueParams ep;
        ep.bias = bias.data();
        ep.act = acts[v];
        auto t0 = std::chrono::steady_clock::now();
        gemm_compute(kern, s.m, s.n, s.k, a.data(), s.k, packed.data(), c.data(), s.n, ep, false, false);
        t[v].push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
    }
    const double vec = s.m * s.n / 16.0;
    const double ghz = std::getenv("EFFNET_GHZ") ? std::atof(std::getenv("EFFNET_GHZ")) : 3.49;
    std::printf("%zux%zux%zu %s: cycles/vector", s.m, s.k, s.n, kern.name);
    for (int v = 0; v < 3; ++v) {
      std::sort(t[v].begin(), t[v].end());
      std::printf("  %s %.2f", v == 0 ? "linear" : v == 1 ? "swish" : "scaled", t[v][750] * 1e3 * ghz / vec);
    }
    std::printf("  (FMAs alone %.1f)\n", s.k / 2.0);
  }
}
