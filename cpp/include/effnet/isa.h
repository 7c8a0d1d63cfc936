// Instruction-set levels for the CPU kernels, detected once with cpuid.
#pragma once

namespace effnet {

enum class Isa : int { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

const char* isa_name(Isa isa);

// The best level this CPU (and OS, for the AVX register state) supports.
Isa detected_isa();

// The level kernels use now: the detected one, lowered by EFFNET_ISA=portable|avx2|avx512
// at load time or by set_isa_limit(). Never above detected_isa().
Isa active_isa();

// Lowers (or raises, up to detected_isa()) the level kernels use. Returns the level in effect.
Isa set_isa_limit(Isa requested);

// True on cores that issue a 512-bit FMA as two 256-bit halves (AMD family 19h, Zen 4): there a ymm FMA
// costs half a zmm one. False elsewhere (Zen 5 and Intel's AVX-512 cores issue it whole).
bool avx512_in_halves();

}  // namespace effnet
