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

}  // namespace effnet
