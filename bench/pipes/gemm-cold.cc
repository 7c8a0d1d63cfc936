// The small maps' GEMMs (M = 64 rows: B1's 8x8 blocks, their head) hot and with parts of their data cold, one
// thread: what a GEMM whose operands left the caches costs. Per shape and tile (6x64, 8x48), the median of 100
// calls in each state:
//   hot    the same call again (A, packed B and C in L2/L3),
//   B      the packed B flushed from every cache (clflushopt) before each call, A and C hot,
//   A, C   A or C flushed the same way,
//   swept  a 48 MB buffer read before each call (everything evicted, TLB entries too).
// Packed B sits on transparent huge pages where the system grants them (as the library's weights do).
//
// Not part of the package build. After `npm install` (which builds build/libeffnet_cpu.a):
//   g++ -O2 -std=c++17 -mclflushopt -Icpp/include bench/pipes/gemm-cold.cc build/libeffnet_cpu.a -lpthread -o /tmp/gc
//   taskset -c 0 /tmp/gc
// "peak" is the time at 113 G multiply-adds a second (one Zen 5 core's FMA peak, BENCHMARKS.md).
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "effnet/gemm.h"

using namespace effnet;

namespace {

// `floats` floats on 2 MiB-aligned memory advised for huge pages, zeroed.
float* huge_floats(size_t floats) {
  const size_t huge = size_t(2) << 20;
  const size_t bytes = (floats * sizeof(float) + huge - 1) / huge * huge;
  void* p = std::aligned_alloc(huge, bytes);
  madvise(p, bytes, MADV_HUGEPAGE);
  std::memset(p, 0, bytes);
  return static_cast<float*>(p);
}

void flush(const float* p, size_t floats) {
  for (size_t i = 0; i < floats; i += 16) _mm_clflushopt(const_cast<float*>(p + i));
  _mm_mfence();
}

}  // namespace

int main() {
  GemmKernel tiles[2];
  for (const GemmKernel& k : gemm_kernels(Isa::kAvx512)) {
    if (std::strcmp(k.name, "6x64-avx512") == 0) tiles[0] = k;
    if (std::strcmp(k.name, "8x48-avx512") == 0) tiles[1] = k;
  }
  if (tiles[0].fn == nullptr || tiles[1].fn == nullptr) {
    std::fprintf(stderr, "needs the AVX-512 tiles\n");
    return 2;
  }
  struct Shape {
    size_t m, k, n;
    Activation act;
  };
  const Shape shapes[] = {{64, 192, 1152, Activation::kSwish}, {64, 1152, 192, Activation::kLinear},
                          {64, 320, 1920, Activation::kSwish}, {64, 1920, 320, Activation::kLinear},
                          {64, 1152, 320, Activation::kLinear}, {64, 320, 1280, Activation::kSwish}};
  const char* states[] = {"hot", "B", "A", "C", "swept"};
  std::vector<float> sweep(size_t(48) << 18, 1.f);
  volatile float sink = 0;
  std::srand(1);
  for (const Shape& sh : shapes) {
    std::vector<float> a(sh.m * sh.k), b(sh.k * sh.n), c(sh.m * sh.n), bias(sh.n, 0.1f);
    for (float& v : a) v = static_cast<float>(std::rand()) / RAND_MAX - 0.5f;
    for (float& v : b) v = (static_cast<float>(std::rand()) / RAND_MAX - 0.5f) * 0.1f;
    float* packed[2];
    size_t packed_floats[2];
    for (int t = 0; t < 2; ++t) {
      packed_floats[t] = gemm_packed_floats(tiles[t], sh.k, sh.n);
      packed[t] = huge_floats(packed_floats[t]);
      gemm_pack_b(tiles[t], sh.k, sh.n, b.data(), sh.n, 1, packed[t]);
    }
    GemmEpilogueParams ep;
    ep.bias = bias.data();
    ep.act = sh.act;
    std::printf("%zu x %zu x %zu (peak %.1f us):", sh.m, sh.k, sh.n, static_cast<double>(sh.m * sh.k * sh.n) / 113e3);
    for (int state = 0; state < 5; ++state) {
      std::vector<double> us[2];
      for (int it = 0; it < 200; ++it) {
        const int t = it % 2;
        if (state == 1) flush(packed[t], packed_floats[t]);
        if (state == 2) flush(a.data(), a.size());
        if (state == 3) flush(c.data(), c.size());
        if (state == 4) {
          float s = 0;
          for (size_t i = 0; i < sweep.size(); i += 16) s += sweep[i];
          sink = s;
        }
        const auto t0 = std::chrono::steady_clock::now();
        gemm_compute(tiles[t], sh.m, sh.n, sh.k, a.data(), sh.k, packed[t], c.data(), sh.n, ep, false, false);
        us[t].push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
      for (auto& v : us) std::sort(v.begin(), v.end());
      std::printf("  %s %.1f / %.1f", states[state], us[0][us[0].size() / 2], us[1][us[1].size() / 2]);
    }
    std::printf("  (us, 6x64 / 8x48)\n");
    for (float* p : packed) std::free(p);
  }
  return sink == 12345.f;
}
