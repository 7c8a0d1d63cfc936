// Bilinear resize (NHWC) with tfjs-backend-cpu's coordinate mapping and double-precision arithmetic.
#include <algorithm>
#include <cmath>
#include <vector>

#include "effnet/normalize.h"
#include "effnet/threadpool.h"

namespace effnet {
namespace {

struct Axis {
  std::vector<size_t> lo, hi;  // source indices (floor clamped at 0, ceil clamped at size-1)
  std::vector<double> frac;    // source - lo (can be negative with half-pixel centers, as in tfjs)
};

Axis make_axis(int64_t in, int64_t out, bool align_corners, bool half_pixel) {
  const double eff_in = (align_corners && out > 1) ? static_cast<double>(in - 1) : static_cast<double>(in);
  const double eff_out = (align_corners && out > 1) ? static_cast<double>(out - 1) : static_cast<double>(out);
  const double ratio = eff_in / eff_out;
  Axis a;
  a.lo.resize(static_cast<size_t>(out));
  a.hi.resize(static_cast<size_t>(out));
  a.frac.resize(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const double src = half_pixel ? ratio * (static_cast<double>(i) + 0.5) - 0.5 : ratio * static_cast<double>(i);
    const double lo = std::max(0.0, std::floor(src));
    const double hi = std::min(static_cast<double>(in - 1), std::ceil(src));
    a.lo[static_cast<size_t>(i)] = static_cast<size_t>(lo);
    // ceil(src) can be below 0 only when src <= -1, which the mappings above never produce.
    a.hi[static_cast<size_t>(i)] = static_cast<size_t>(std::max(0.0, hi));
    a.frac[static_cast<size_t>(i)] = src - lo;
  }
  return a;
}

template <typename T>
void resize(const ResizeBilinearParams& p, const T* x, float* out) {
  check(p.batch >= 0 && p.in_h >= 0 && p.in_w >= 0 && p.channels >= 0 && p.out_h >= 0 && p.out_w >= 0,
        "resize_bilinear: negative dimension");
  const size_t rows_total = static_cast<size_t>(p.batch * p.out_h);
  if (rows_total == 0 || p.out_w == 0 || p.channels == 0) return;
  check(p.in_h > 0 && p.in_w > 0, "resize_bilinear: cannot resize an empty image to a non-empty size");
  const Axis ys = make_axis(p.in_h, p.out_h, p.align_corners, p.half_pixel_centers);
  const Axis xs = make_axis(p.in_w, p.out_w, p.align_corners, p.half_pixel_centers);
  const size_t C = static_cast<size_t>(p.channels);
  const size_t in_row = static_cast<size_t>(p.in_w) * C;
  const size_t out_row = static_cast<size_t>(p.out_w) * C;
  const size_t grain = std::max<size_t>(1, 16384 / out_row);
  parallel_for(rows_total, grain, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const size_t n = r / static_cast<size_t>(p.out_h);
      const size_t oy = r % static_cast<size_t>(p.out_h);
      const T* image = x + n * static_cast<size_t>(p.in_h) * in_row;
      const T* top = image + ys.lo[oy] * in_row;
      const T* bot = image + ys.hi[oy] * in_row;
      const double fy = ys.frac[oy];
      float* o = out + r * out_row;
      for (size_t ox = 0; ox < static_cast<size_t>(p.out_w); ++ox, o += C) {
        const T* tl = top + xs.lo[ox] * C;
        const T* tr = top + xs.hi[ox] * C;
        const T* bl = bot + xs.lo[ox] * C;
        const T* br = bot + xs.hi[ox] * C;
        const double fx = xs.frac[ox];
        for (size_t c = 0; c < C; ++c) {
          const double t = static_cast<double>(tl[c]) + (static_cast<double>(tr[c]) - tl[c]) * fx;
          const double b = static_cast<double>(bl[c]) + (static_cast<double>(br[c]) - bl[c]) * fx;
          o[c] = static_cast<float>(t + (b - t) * fy);
        }
      }
    }
  });
}

}  // namespace

void resize_bilinear(const ResizeBilinearParams& p, const float* x, float* out) { resize(p, x, out); }
void resize_bilinear(const ResizeBilinearParams& p, const int32_t* x, float* out) { resize(p, x, out); }

}  // namespace effnet
