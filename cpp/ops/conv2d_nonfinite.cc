// Convolutions with infinite or NaN values (conv2d_nonfinite.h).
#include "conv2d_nonfinite.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "effnet/activation.h"
#include "effnet/packed_cache.h"
#include "effnet/threadpool.h"

namespace effnet {
namespace {

typedef float v4 __attribute__((vector_size(16)));
typedef int32_t i4 __attribute__((vector_size(16)));

// Whether `bad` holds for some p[i]: an OR over 16 floats a step (four vectors), then the tail.
template <typename Bad>
bool any_float(const float* p, size_t n, Bad bad) {
  i4 acc = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v4 a, b, c, d;
    std::memcpy(&a, p + i, sizeof a);
    std::memcpy(&b, p + i + 4, sizeof b);
    std::memcpy(&c, p + i + 8, sizeof c);
    std::memcpy(&d, p + i + 12, sizeof d);
    acc |= bad(a) | bad(b) | bad(c) | bad(d);
  }
  bool found = (acc[0] | acc[1] | acc[2] | acc[3]) != 0;
  for (; i < n; ++i) {
    v4 a = {p[i], 0.f, 0.f, 0.f};
    found = found || bad(a)[0] != 0;
  }
  return found;
}

}  // namespace

bool floats_all_finite(const float* p, size_t n) {
  // a - a is 0 for finite a and NaN for infinities and NaN.
  return !any_float(p, n, [](v4 a) { return (a - a) != 0.f; });
}

bool conv2d_filter_finite(const BufferPtr& source, const float* filter, size_t count) {
  if (source == nullptr) return floats_all_finite(filter, count);
  const BufferPtr flag = packed_for(source, "conv2d-finite:n=" + std::to_string(count), [&] {
    BufferPtr b = packed_buffer(sizeof(float));
    *static_cast<float*>(b->data()) = floats_all_finite(filter, count) ? 1.f : 0.f;
    return b;
  });
  return *static_cast<const float*>(flag->data()) != 0.f;
}

bool conv2d_window_leaves_image(const Conv2DShape& s) {
  if (s.pad_top > 0 || s.pad_left > 0) return true;
  // Without padding before the image, the last window starts at (out - 1) * stride.
  const int64_t last_row = (s.out_h - 1) * s.stride_h + (s.filter_h - 1) * s.dilation_h;
  const int64_t last_col = (s.out_w - 1) * s.stride_w + (s.filter_w - 1) * s.dilation_w;
  return last_row >= s.in_h || last_col >= s.in_w;
}

void conv2d_taps_inside(const Conv2DShape& s, const float* x, const float* filter, float* out,
                        const GemmEpilogueParams& ep, bool accumulate) {
  const size_t cin = static_cast<size_t>(s.in_c), cout = static_cast<size_t>(s.out_c);
  const size_t rows = static_cast<size_t>(s.batch * s.out_h);
  parallel_for(rows, 1, [&](size_t begin, size_t end) {
    std::vector<float> acc(cout);
    for (size_t r = begin; r < end; ++r) {
      const int64_t b = static_cast<int64_t>(r) / s.out_h, oy = static_cast<int64_t>(r) % s.out_h;
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int64_t fy = 0; fy < s.filter_h; ++fy) {
          const int64_t iy = oy * s.stride_h - s.pad_top + fy * s.dilation_h;
          if (iy < 0 || iy >= s.in_h) continue;
          for (int64_t fx = 0; fx < s.filter_w; ++fx) {
            const int64_t ix = ox * s.stride_w - s.pad_left + fx * s.dilation_w;
            if (ix < 0 || ix >= s.in_w) continue;
            const float* xp = x + ((b * s.in_h + iy) * s.in_w + ix) * static_cast<int64_t>(cin);
            const float* wp = filter + static_cast<size_t>(fy * s.filter_w + fx) * cin * cout;
            for (size_t ci = 0; ci < cin; ++ci) {
              const float xv = xp[ci];
              const float* w = wp + ci * cout;
              for (size_t co = 0; co < cout; ++co) acc[co] += xv * w[co];
            }
          }
        }
        const size_t pixel = r * static_cast<size_t>(s.out_w) + static_cast<size_t>(ox);
        float* o = out + pixel * cout;
        for (size_t co = 0; co < cout; ++co) {
          float v = acc[co];
          if (accumulate) v += o[co];
          if (ep.bias != nullptr) v += ep.bias[co];
          if (ep.residual != nullptr) v += ep.residual[pixel * ep.residual_stride + co];
          o[co] = apply_activation(v, ep.act, ep.alpha, ep.prelu != nullptr ? ep.prelu[co] : 0.f);
        }
      }
    }
  });
}

}  // namespace effnet
