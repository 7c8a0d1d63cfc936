// The GEMM precision setting (effnet_cuda/cuda.h): one process-wide atomic, read by the GEMM dispatch
// (gemm_tensor_core.cuh, launch_gemm_in) when an op is queued.
#include <atomic>
#include <string>

#include "effnet_cuda/cuda.h"

namespace effnet {
namespace cuda {
namespace {

std::atomic<int> g_precision{static_cast<int>(Precision::kFp32)};

struct Named {
  Precision value;
  const char* name;
};
constexpr Named kNames[] = {
    {Precision::kFp32, "fp32"}, {Precision::kTf32, "tf32"}, {Precision::kFp16, "fp16"}, {Precision::kBf16, "bf16"}};

}  // namespace

void set_precision(Precision p) {
  for (const Named& n : kNames) {
    if (n.value == p) {
      g_precision.store(static_cast<int>(p), std::memory_order_relaxed);
      return;
    }
  }
  throw Error("set_precision: unknown precision code " + std::to_string(static_cast<int>(p)));
}

Precision precision() { return static_cast<Precision>(g_precision.load(std::memory_order_relaxed)); }

const char* precision_name(Precision p) {
  for (const Named& n : kNames) {
    if (n.value == p) return n.name;
  }
  return "unknown";
}

bool parse_precision(const std::string& name, Precision* out) {
  for (const Named& n : kNames) {
    if (name == n.name) {
      *out = n.value;
      return true;
    }
  }
  return false;
}

const char* precision_names() { return "fp32, tf32, fp16, bf16"; }

}  // namespace cuda
}  // namespace effnet
