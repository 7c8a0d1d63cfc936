// Which AVX-512 instructions of the swish and the GEMM epilogue take time from the FMA pipes.
//
// Each case runs 12 independent zmm FMA chains per iteration (at one zmm FMA a cycle this is FMA-bound)
// plus some other instructions on registers of their own, and reports core cycles per iteration. An
// instruction that runs beside the FMAs leaves the time at ~12 cycles; one that needs an FMA pipe adds
// to it. bench/floor.ts prices a swish from these numbers (SWISH_SLOTS).
//
// Not part of the package build. Compile and run on the machine to measure:
//   g++ -O2 -mavx512f -mavx512dq -mavx512vl bench/pipes/fma-pipes.cc -o /tmp/fma-pipes && /tmp/fma-pipes
// Cycles come from the time-stamp counter scaled by the core clock (argument 1, GHz; by default the
// clock at which the FMA-only case runs one zmm FMA a cycle).
#include <immintrin.h>
#include <x86intrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

enum Extra { kNone, kReduce, kScalef, kAdd, kMax, kDivide, kStore, kMaskedStore, kPermute, kPermute2, kRcp14, kMul };
const char* const kNames[] = {"nothing",        "vreduceps",           "vscalefps", "vaddps", "vmaxps",
                              "vdivps (zmm)",  "vmovups store (zmm)", "masked store (zmm, all lanes)", "vpermps",
                              "vpermt2ps",      "vrcp14ps",            "vmulps"};

alignas(64) float g_sink[16 * 256];  // 16 KiB: stores stay in L1
volatile unsigned g_all_lanes = 0xFFFF;  // a mask the compiler cannot see is full

// 12 FMA chains and COUNT extra instructions of kind `E` per iteration, the loop unrolled 12 times so
// that every register index is a constant. Each extra instruction works on one of 12 registers of its
// own in turn (a division's latency does not bound the loop).
template <Extra E, int COUNT>
__attribute__((noinline)) double ticks_per_iteration(long iterations) {
  __m512 acc[12], other[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(1.f + i * 1e-7f);
  for (int i = 0; i < 12; ++i) other[i] = _mm512_set1_ps(0.5f + i);
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-9f), near_one = _mm512_set1_ps(1.0000001f);
  const __mmask16 lanes = static_cast<__mmask16>(g_all_lanes);
  float* out = g_sink;
  const unsigned long long start = __rdtsc();
  for (long it = 0; it < iterations; it += 12) {
#pragma GCC unroll 12
    for (int r = 0; r < 12; ++r) {
#pragma GCC unroll 12
      for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
#pragma GCC unroll 8
      for (int j = 0; j < COUNT; ++j) {
        __m512& o = other[(r * COUNT + j) % 12];
        if (E == kReduce) o = _mm512_reduce_ps(o, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        if (E == kScalef) o = _mm512_scalef_ps(o, m);
        if (E == kAdd) o = _mm512_add_ps(o, c);
        if (E == kMax) o = _mm512_max_ps(o, c);
        if (E == kDivide) o = _mm512_div_ps(o, near_one);
        if (E == kPermute) o = _mm512_permutexvar_ps(_mm512_castps_si512(o), m);
        if (E == kPermute2) o = _mm512_permutex2var_ps(m, _mm512_castps_si512(o), c);
        if (E == kRcp14) o = _mm512_rcp14_ps(o);
        if (E == kMul) o = _mm512_mul_ps(o, near_one);
        if (E == kStore) _mm512_storeu_ps(out + 16 * j, acc[j]);
        if (E == kMaskedStore) _mm512_mask_storeu_ps(out + 16 * j, lanes, acc[j]);
      }
      if (E == kStore || E == kMaskedStore) out = out + 16 * 16 >= g_sink + 16 * 256 ? g_sink : out + 16 * 16;
    }
  }
  const unsigned long long ticks = __rdtsc() - start;
  float keep = 0.f;
  for (int i = 0; i < 12; ++i) keep += _mm512_reduce_add_ps(acc[i]) + _mm512_reduce_add_ps(other[i]);
  if (keep == 1234.5f) std::printf(" ");
  return static_cast<double>(ticks) / static_cast<double>(iterations);
}

template <Extra E, int COUNT>
double best_ticks() {
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const double t = ticks_per_iteration<E, COUNT>(4800000);
    if (t < best) best = t;
  }
  return best;
}

double tsc_ghz() {
  const auto t0 = std::chrono::steady_clock::now();
  const unsigned long long c0 = __rdtsc();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200)) {
  }
  const unsigned long long c1 = __rdtsc();
  return static_cast<double>(c1 - c0) / std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const double tsc = tsc_ghz();
  const double fma_only = best_ticks<kNone, 0>();
  // Core cycles per TSC tick: from the argument, else the FMA-only loop taken as 12 cycles.
  const double scale = argc > 1 ? std::atof(argv[1]) / tsc : 12.0 / fma_only;
  std::printf("TSC %.3f GHz; core clock %.3f GHz%s\n", tsc, tsc * scale, argc > 1 ? "" : " (12 FMAs taken as 12 cycles)");
  std::printf("%-30s %6s %22s %18s\n", "beside 12 zmm FMAs", "count", "cycles per iteration", "per instruction");
  std::printf("%-30s %6d %22.2f\n", kNames[kNone], 0, fma_only * scale);
  auto row = [&](Extra e, int count, double ticks) {
    std::printf("%-30s %6d %22.2f %18.2f\n", kNames[e], count, ticks * scale, (ticks - fma_only) * scale / count);
  };
  row(kReduce, 4, best_ticks<kReduce, 4>());
  row(kScalef, 4, best_ticks<kScalef, 4>());
  row(kAdd, 4, best_ticks<kAdd, 4>());
  row(kMax, 4, best_ticks<kMax, 4>());
  row(kDivide, 1, best_ticks<kDivide, 1>());
  row(kDivide, 2, best_ticks<kDivide, 2>());
  row(kStore, 4, best_ticks<kStore, 4>());
  row(kStore, 8, best_ticks<kStore, 8>());
  row(kMaskedStore, 4, best_ticks<kMaskedStore, 4>());
  row(kMaskedStore, 8, best_ticks<kMaskedStore, 8>());
  // What a table-driven exp2 or a reciprocal would cost (2026-11-30, Zen 5, two runs: vpermps 0.33-0.45, vpermt2ps
  // 1.27-1.38, vrcp14ps 0.38-0.50, vmulps 0.92-1.11, beside vreduceps 0.04-0.09, vdivps 2.3-3.3): a 16-entry vpermps table with a
  // degree-2 polynomial takes as much of the FMA pipes as the swish's degree-4 one (its multiply by the
  // table value costs what the two saved FMAs did).
  row(kPermute, 4, best_ticks<kPermute, 4>());
  row(kPermute2, 4, best_ticks<kPermute2, 4>());
  row(kRcp14, 4, best_ticks<kRcp14, 4>());
  row(kMul, 4, best_ticks<kMul, 4>());
  return 0;
}
