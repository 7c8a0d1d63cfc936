#include "effnet/diagnostics.h"

#include <chrono>
#include <cstring>
#include <memory>

#include "effnet/buffer.h"
#include "effnet/common.h"
#include "kernels/peak/peak.h"

namespace effnet {
namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

double measure_peak_gflops(Isa isa, double seconds) {
  check(isa <= detected_isa(), std::string("peak: this CPU does not support ") + isa_name(isa));
  auto run = [isa](int64_t n) {
    switch (isa) {
      case Isa::kAvx512: return peak_fma_avx512(n);
      case Isa::kAvx2: return peak_fma_avx2(n);
      default: return peak_fma_portable(n);
    }
  };
  run(100000);  // warm up (clock ramp, AVX-512 license)
  double best = 0;
  int64_t n = 1000000;
  const double end = now_seconds() + seconds;
  while (now_seconds() < end) {
    double t0 = now_seconds();
    double flops = run(n);
    double dt = now_seconds() - t0;
    if (dt > 0 && flops / dt > best) best = flops / dt;
    if (dt < 0.01) n *= 2;
  }
  return best / 1e9;
}

double measure_copy_gbps(size_t bytes, double seconds) {
  check(bytes >= 4096, "copy bandwidth: working set must be at least 4096 bytes");
  Buffer src(bytes), dst(bytes);
  std::memset(src.data(), 1, bytes);
  double best = 0;
  const double end = now_seconds() + seconds;
  while (now_seconds() < end) {
    double t0 = now_seconds();
    std::memcpy(dst.data(), src.data(), bytes);
    double dt = now_seconds() - t0;
    if (dt > 0 && 2.0 * bytes / dt > best) best = 2.0 * bytes / dt;
  }
  return best / 1e9;
}

}  // namespace effnet
