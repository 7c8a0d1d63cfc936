// Cast between float32, int32 and bool with JavaScript typed-array semantics.
#include <cmath>
#include <cstring>
#include <string>

#include "effnet/layout.h"
#include "effnet/threadpool.h"

namespace effnet {
namespace {

// ECMAScript ToInt32: truncate, wrap modulo 2^32; NaN and infinities give 0.
inline int32_t to_int32(float x) {
  if (x > -2147483649.f && x < 2147483648.f) return static_cast<int32_t>(x);  // common case (NaN fails)
  if (!std::isfinite(x)) return 0;
  double t = std::trunc(static_cast<double>(x));
  if (t >= -2147483648.0 && t <= 2147483647.0) return static_cast<int32_t>(t);
  double m = std::fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  const uint32_t u = static_cast<uint32_t>(m);
  int32_t r;
  std::memcpy(&r, &u, sizeof(r));
  return r;
}

template <typename From, typename To, typename F>
void convert(size_t n, const void* src, void* dst, F f) {
  const auto* s = static_cast<const unsigned char*>(src);
  auto* d = static_cast<unsigned char*>(dst);
  parallel_for(n, size_t{1} << 15, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      From a;
      std::memcpy(&a, s + i * sizeof(From), sizeof(From));
      const To b = f(a);
      std::memcpy(d + i * sizeof(To), &b, sizeof(To));
    }
  });
}

}  // namespace

void cast(const char* op, DType from, DType to, size_t n, const void* src, void* dst) {
  if (from == to) {
    std::memcpy(dst, src, n * dtype_size(from));
    return;
  }
  switch (from) {
    case DType::kFloat32:
      if (to == DType::kInt32) return convert<float, int32_t>(n, src, dst, [](float x) { return to_int32(x); });
      return convert<float, uint8_t>(n, src, dst, [](float x) -> uint8_t { return x != 0.f; });
    case DType::kInt32:
      if (to == DType::kFloat32) return convert<int32_t, float>(n, src, dst, [](int32_t x) { return static_cast<float>(x); });
      return convert<int32_t, uint8_t>(n, src, dst, [](int32_t x) -> uint8_t { return x != 0; });
    case DType::kBool:
      if (to == DType::kFloat32) return convert<uint8_t, float>(n, src, dst, [](uint8_t x) { return static_cast<float>(x); });
      return convert<uint8_t, int32_t>(n, src, dst, [](uint8_t x) { return static_cast<int32_t>(x); });
  }
  throw Error(std::string(op) + ": unsupported cast");
}

}  // namespace effnet
