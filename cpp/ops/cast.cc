// Cast between float32, int32 and bool with JavaScript typed-array semantics.
#include <climits>
#include <cmath>
#include <cstring>
#include <string>

#include "effnet/layout.h"
#include "effnet/threadpool.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Buffers are 64-byte aligned, so typed pointers are aligned.
template <typename From, typename To, typename F>
void convert(size_t n, const void* src, void* dst, F f) {
  const From* s = static_cast<const From*>(src);
  To* d = static_cast<To*>(dst);
  parallel_for(n, size_t{1} << 15, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) d[i] = f(s[i]);
  });
}

void float_to_int32(size_t n, const float* s, int32_t* d) {
  parallel_for(n, size_t{1} << 15, [&](size_t lo, size_t hi) {
    size_t i = lo;
#if defined(__SSE2__)
    // cvttps2dq truncates; out-of-range and NaN lanes come back as INT32_MIN and take the slow path.
    const __m128i sentinel = _mm_set1_epi32(INT32_MIN);
    for (; i + 4 <= hi; i += 4) {
      const __m128i v = _mm_cvttps_epi32(_mm_loadu_ps(s + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), v);
      if (_mm_movemask_epi8(_mm_cmpeq_epi32(v, sentinel)) != 0) {
        for (size_t k = i; k < i + 4; ++k) d[k] = to_int32(s[k]);
      }
    }
#endif
    for (; i < hi; ++i) d[i] = to_int32(s[i]);
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
      if (to == DType::kInt32) return float_to_int32(n, static_cast<const float*>(src), static_cast<int32_t*>(dst));
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
