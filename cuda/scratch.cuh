// Sizes of the scratch buffers of the fused kernels' launches (cuda/head.cu, cuda/mbconv.cu).
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "effnet/common.h"

namespace effnet {
namespace cuda {

// Product of sizes as an element count, throwing "<op>scratch size out of range" instead of
// wrapping around (op: the kernel's name and ": ").
inline size_t checked_count(const char* op, std::initializer_list<int64_t> dims) {
  size_t total = 1;
  for (int64_t d : dims) {
    if (__builtin_mul_overflow(total, static_cast<size_t>(d), &total) || total > (size_t(1) << 50)) {
      throw Error(std::string(op) + "scratch size out of range");
    }
  }
  return total;
}

}  // namespace cuda
}  // namespace effnet
