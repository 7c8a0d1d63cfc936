// Detects the CPU's vector ISA once and keeps the level kernels dispatch on.
#include <cpuid.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "effnet/isa.h"

namespace effnet {
namespace {

unsigned long long read_xcr0() {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

Isa detect() {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return Isa::kPortable;
  const bool osxsave = ecx & bit_OSXSAVE;
  const bool fma = ecx & bit_FMA;
  const bool avx = ecx & bit_AVX;
  const bool f16c = ecx & bit_F16C;
  if (!osxsave || !avx) return Isa::kPortable;
  const unsigned long long xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;
  if (!ymm_state) return Isa::kPortable;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return Isa::kPortable;
  const bool avx2 = ebx & bit_AVX2;
  const bool avx512f = ebx & bit_AVX512F;
  const bool avx512bw = ebx & bit_AVX512BW;
  const bool avx512dq = ebx & bit_AVX512DQ;
  const bool avx512vl = ebx & bit_AVX512VL;
  if (!(avx2 && fma && f16c)) return Isa::kPortable;
  if (zmm_state && avx512f && avx512bw && avx512dq && avx512vl) return Isa::kAvx512;
  return Isa::kAvx2;
}

Isa from_env(Isa detected) {
  const char* value = std::getenv("EFFNET_ISA");
  if (value == nullptr || *value == '\0') return detected;
  Isa wanted = detected;
  if (std::strcmp(value, "portable") == 0) wanted = Isa::kPortable;
  else if (std::strcmp(value, "avx2") == 0) wanted = Isa::kAvx2;
  else if (std::strcmp(value, "avx512") == 0) wanted = Isa::kAvx512;
  return wanted < detected ? wanted : detected;
}

// AMD family 19h (Zen 3 has no AVX-512; Zen 4 runs it on 256-bit units). The family is the base family
// plus the extended family (CPUID leaf 1, EAX bits 8-11 and 20-27).
bool detect_avx512_in_halves() {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
  char vendor[13];
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  vendor[12] = '\0';
  if (std::strcmp(vendor, "AuthenticAMD") != 0) return false;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const unsigned base = (eax >> 8) & 0xF;
  const unsigned family = base == 0xF ? base + ((eax >> 20) & 0xFF) : base;
  return family == 0x19;
}

const Isa g_detected = detect();
const bool g_avx512_in_halves = detect_avx512_in_halves();
std::atomic<int> g_active{static_cast<int>(from_env(g_detected))};

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

Isa detected_isa() { return g_detected; }
bool avx512_in_halves() { return g_avx512_in_halves; }
Isa active_isa() { return static_cast<Isa>(g_active.load(std::memory_order_relaxed)); }

Isa set_isa_limit(Isa requested) {
  const Isa level = requested < g_detected ? requested : g_detected;
  g_active.store(static_cast<int>(level));
  return level;
}

}  // namespace effnet
