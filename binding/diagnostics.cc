// Measured machine ceilings (FMA peak, copy bandwidth) for bench/kernels.ts, and which GEMM tile the
// active ISA picks for a width and with which tile rates (tests use them to reach every tile).
#include "args.h"
#include "effnet/diagnostics.h"
#include "effnet/gemm.h"
#include "families.h"

namespace binding {
namespace {

// peakGflops({isa: 'avx512'|'avx2'|'portable', seconds}) -> GFLOP/s of one core.
Napi::Value PeakGflops(const Napi::CallbackInfo& info) {
  Args args(info, "peakGflops");
  std::string name = args.string("isa");
  effnet::Isa isa;
  if (name == "avx512") isa = effnet::Isa::kAvx512;
  else if (name == "avx2") isa = effnet::Isa::kAvx2;
  else if (name == "portable") isa = effnet::Isa::kPortable;
  else args.fail("unknown isa '" + name + "'; supported: avx512, avx2, portable");
  return Napi::Number::New(info.Env(), effnet::measure_peak_gflops(isa, args.number_or("seconds", 0.2)));
}

// copyGbps({bytes, seconds}) -> GB/s (read + write) of one core.
Napi::Value CopyGbps(const Napi::CallbackInfo& info) {
  Args args(info, "copyGbps");
  int64_t bytes = args.integer("bytes");
  if (bytes < 4096 || bytes > (int64_t(1) << 34)) args.fail("bytes must be between 4096 and 2^34");
  return Napi::Number::New(info.Env(),
                           effnet::measure_copy_gbps(static_cast<size_t>(bytes), args.number_or("seconds", 0.2)));
}

// gemmTile({n}) -> name of the register tile a GEMM with N = n columns runs at the active ISA.
Napi::Value GemmTile(const Napi::CallbackInfo& info) {
  Args args(info, "gemmTile");
  const int64_t n = args.integer("n");
  if (n < 1 || n > (int64_t(1) << 31)) args.fail("n must be between 1 and 2^31");
  return Napi::String::New(info.Env(), effnet::gemm_select(static_cast<size_t>(n)).name);
}

// gemmTileRates() -> 'half' | 'full': the AVX-512 tile rates gemm_select uses; gemmTileRates(kind) sets them
// first ('half', 'full' or 'auto', which picks by the CPU). Tests use it to reach every tile on any core.
Napi::Value GemmTileRates(const Napi::CallbackInfo& info) {
  using effnet::GemmTileRates;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    static constexpr GemmTileRates kKinds[] = {GemmTileRates::kHalfWidth, GemmTileRates::kFullWidth,
                                               GemmTileRates::kAuto};
    effnet::set_gemm_tile_rates(kKinds[choice_arg(info[0], "gemmTileRates", "kind", {"half", "full", "auto"})]);
  }
  return Napi::String::New(info.Env(), effnet::gemm_tile_rates() == GemmTileRates::kHalfWidth ? "half" : "full");
}

}  // namespace

void init_diagnostics(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "peakGflops", PeakGflops);
  export_entry(env, exports, "copyGbps", CopyGbps);
  export_entry(env, exports, "gemmTile", GemmTile);
  export_entry(env, exports, "gemmTileRates", GemmTileRates);
}

}  // namespace binding
