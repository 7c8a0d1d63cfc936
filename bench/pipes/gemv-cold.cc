// GEMVs (M = 1: the classifier, the squeeze-and-excitation convs) with the packed B cold (rotating over
// ~80 MB of copies): gemm_compute against the tile called once per panel over the whole K, alternating.
// Until 933d1e5 gemm_compute split K past 512 into blocks, so each panel of B was read in three or four
// pieces; it now keeps K whole where a tile's A rows over all of K are small (whole_k_fits), and both columns
// should agree.
//
// Not part of the package build. After `npm install` (which builds build/libeffnet_cpu.a):
//   g++ -O2 -std=c++17 -march=native -Icpp/include -Icpp bench/pipes/gemv-cold.cc build/libeffnet_cpu.a -lpthread -o /tmp/gemv-cold
//   taskset -c 1 /tmp/gemv-cold [COPIES=16]
//
// Measured 2026-11-30 ~12:38 UTC, Zen 5 build machine (AMD EPYC family 26 model 2), vCPU 1, before 933d1e5
// (gemm_compute splitting K; medians of 1500, us):
//   1x1280x1000 8x48: split K 187.7, whole K 161.5     1x1920x80 5x80: 26.7, 25.7     1x1152x48 8x48: 10.5, 10.4
//   1x80x1920 6x64: 20.8, 19.0                          1x672x28 12x32: 3.9, 3.7
// and at 933d1e5 (a slower spell of the host): 1x1280x1000 197.5 / 196.5, 1x1920x80 21.2 / 20.3.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
#include "effnet/gemm.h"
#include "effnet/isa.h"
#include "kernels/gemm/gemm.h"
using namespace effnet;
int main(int argc, char** argv) {
  const int copies = argc > 1 ? atoi(argv[1]) : 16;
  struct Shape {
    size_t k, n;
    int act;
  };
  Shape shapes[] = {{1280, 1000, 0}, {1920, 80, 7}, {1152, 48, 7}, {80, 1920, 6}, {672, 28, 7}};
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto s : shapes) {
    GemmKernel kern = gemm_select(s.n);
    std::vector<float> a(s.k), b(s.k * s.n), bias(s.n), c1(s.n), c2(s.n);
    for (auto* vec : {&a, &b, &bias}) {
      for (auto& v : *vec) v = u(rng);
    }
    const size_t pf = gemm_packed_floats(kern, s.k, s.n);
    const int ncopies = std::max<int>(2, copies * 5000000 / (pf * 4 + 1));
    std::vector<std::vector<float>> packed(ncopies, std::vector<float>(pf));
    for (auto& p : packed) gemm_pack_b(kern, s.k, s.n, b.data(), s.n, 1, p.data());
    GemmEpilogueParams ep;
    ep.bias = bias.data();
    ep.act = static_cast<Activation>(s.act);
    const size_t nr = kern.nr, panels = (s.n + nr - 1) / nr;
    std::vector<double> t1, t2;
    int it = 0;
    for (int r = 0; r < 1500; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      gemm_compute(kern, 1, s.n, s.k, a.data(), s.k, packed[it++ % ncopies].data(), c1.data(), s.n, ep, false, false);
      auto t1_ = std::chrono::steady_clock::now();
      const float* pb = packed[it++ % ncopies].data();
      for (size_t p = 0; p < panels; ++p) {
        gemm::Epilogue e{bias.data() + p * nr, nullptr, nullptr, 0, s.act, 0.f};
        kern.fn(1, std::min(nr, s.n - p * nr), s.k, a.data(), s.k, pb + p * nr * s.k, c2.data() + p * nr, s.n, false, &e);
      }
      auto t2_ = std::chrono::steady_clock::now();
      t1.push_back(std::chrono::duration<double, std::micro>(t1_ - t0).count());
      t2.push_back(std::chrono::duration<double, std::micro>(t2_ - t1_).count());
    }
    std::sort(t1.begin(), t1.end());
    std::sort(t2.begin(), t2.end());
    double md = 0;
    for (size_t i = 0; i < s.n; ++i) md = std::max(md, static_cast<double>(std::abs(c1[i] - c2[i])));
    std::printf("1x%zux%zu %s (%d copies of %.2f MB): gemm_compute %.1f us, whole K %.1f us, maxdiff %.1e\n", s.k, s.n, kern.name, ncopies, pf * 4 / 1e6, t1[750], t2[750], md);
  }
}
