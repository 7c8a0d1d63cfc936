// Winograd F(2x2,3x3) / F(4x4,3x3) convolution. Output tiles are processed in blocks: each tile's
// t x t input patch is transformed (V = B^T d B, all channels), the t*t element-wise products over a
// block of tiles are t*t GEMMs [tiles x cin] * [cin x cout] against U = G g G^T (packed once per filter
// buffer), and the output transform (Y = A^T M A) writes the m x m pixels with the fused epilogue.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../kernels/winograd/winograd.h"
#include "effnet/activation.h"
#include "effnet/packed_cache.h"
#include "effnet/threadpool.h"
#include "effnet/winograd.h"

namespace effnet {
namespace {

size_t div_up(size_t x, size_t y) { return (x + y - 1) / y; }

// Bytes of one block's transformed inputs and products (each e-th GEMM touches 1/(t*t) of it, against one transformed filter matrix).
constexpr size_t kBlockBytes = 2048 * 1024;
constexpr size_t kMaxBlockTiles = 1024;

using InputFn = void (*)(const float* const*, size_t, float*, size_t);
using OutputFn = bool (*)(const float*, size_t, size_t, float* const*, const float*, const float* const*, int, bool);

struct Transforms {
  InputFn input;
  OutputFn output;
};

Transforms transforms(WinogradVariant v) {
  const bool f4 = v == WinogradVariant::kF4;
  switch (active_isa()) {
    case Isa::kAvx512:
      return f4 ? Transforms{winograd::input_f4_avx512, winograd::output_f4_avx512}
                : Transforms{winograd::input_f2_avx512, winograd::output_f2_avx512};
    case Isa::kAvx2:
      return f4 ? Transforms{winograd::input_f4_avx2, winograd::output_f4_avx2}
                : Transforms{winograd::input_f2_avx2, winograd::output_f2_avx2};
    default:
      return f4 ? Transforms{winograd::input_f4_portable, winograd::output_f4_portable}
                : Transforms{winograd::input_f2_portable, winograd::output_f2_portable};
  }
}

// Filter transform matrices G (t x 3).
constexpr double kG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kG4[6][3] = {{1.0 / 4, 0, 0},
                              {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                              {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6},
                              {1.0 / 24, -1.0 / 12, 1.0 / 6},
                              {0, 0, 1}};

// U = G g G^T for every (ci, co), as t*t matrices [cin x cout], each packed for `kernel`.
BufferPtr packed_transformed_filter(const BufferPtr& source, const float* filter, size_t cin, size_t n,
                                    WinogradVariant variant, const GemmKernel& kernel) {
  const size_t t = variant == WinogradVariant::kF4 ? 6 : 4;
  const std::string layout = std::string("gemm-b:winograd-f") + std::to_string(static_cast<int>(variant)) +
                             "-hwio,tile=" + kernel.name + ",cin=" + std::to_string(cin) + ",n=" + std::to_string(n);
  return packed_for(source, layout, [&]() {
    const size_t pf = gemm_packed_floats(kernel, cin, n);
    auto packed = packed_buffer(t * t * pf * sizeof(float));
    float* dst = static_cast<float*>(packed->data());
    std::vector<float> u(t * t * cin * n);
    for (size_t ci = 0; ci < cin; ++ci) {
      for (size_t co = 0; co < n; ++co) {
        double g[3][3];
        for (size_t a = 0; a < 3; ++a)
          for (size_t b = 0; b < 3; ++b) g[a][b] = filter[((a * 3 + b) * cin + ci) * n + co];
        for (size_t i = 0; i < t; ++i) {
          const double* gi = variant == WinogradVariant::kF4 ? kG4[i] : kG2[i];
          double row[3];  // (G g)[i][b]
          for (size_t b = 0; b < 3; ++b) row[b] = gi[0] * g[0][b] + gi[1] * g[1][b] + gi[2] * g[2][b];
          for (size_t j = 0; j < t; ++j) {
            const double* gj = variant == WinogradVariant::kF4 ? kG4[j] : kG2[j];
            u[((i * t + j) * cin + ci) * n + co] =
                static_cast<float>(row[0] * gj[0] + row[1] * gj[1] + row[2] * gj[2]);
          }
        }
      }
    }
    for (size_t e = 0; e < t * t; ++e) gemm_pack_b(kernel, cin, n, u.data() + e * cin * n, n, 1, dst + e * pf);
    return packed;
  });
}

thread_local std::vector<float> t_v, t_m, t_zero;

}  // namespace

bool winograd_applicable(const Conv2DShape& s) {
  return s.filter_h == 3 && s.filter_w == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dilation_h == 1 &&
         s.dilation_w == 1 && s.in_c >= 1;
}

namespace {

WinogradMode mode_from_environment() {
  const char* v = std::getenv("EFFNET_WINOGRAD");
  if (v == nullptr) return WinogradMode::kF2;
  const std::string m(v);
  if (m == "off" || m == "0") return WinogradMode::kOff;
  if (m == "f4") return WinogradMode::kF4;
  return WinogradMode::kF2;
}

// Read from the environment once (getenv is not safe against a concurrent setenv); changed by the API.
std::atomic<WinogradMode>& mode_setting() {
  static std::atomic<WinogradMode> mode{mode_from_environment()};
  return mode;
}

}  // namespace

WinogradMode winograd_mode() { return mode_setting().load(std::memory_order_relaxed); }

void set_winograd_mode(WinogradMode mode) { mode_setting().store(mode, std::memory_order_relaxed); }

bool winograd_preferred(const Conv2DShape& s, WinogradVariant* variant) {
  const WinogradMode mode = winograd_mode();
  if (mode == WinogradMode::kOff) return false;
  // Below 16 channels either way the transforms outweigh the GEMM work saved.
  if (!winograd_applicable(s) || s.in_c < 16 || s.out_c < 16) return false;
  // F(4x4) tiles cover 8x8 of a 7x7 output (31% waste): there F(2x2) is as fast (7x7x512: 1.5 ms both).
  const bool f4_fits = s.out_h >= 8 && s.out_w >= 8;
  *variant = mode == WinogradMode::kF4 && f4_fits ? WinogradVariant::kF4 : WinogradVariant::kF2;
  return true;
}

bool conv2d_winograd(const Conv2DShape& s, const float* x, const BufferPtr& filter_source, const float* filter,
                     float* out, const GemmEpilogueParams& ep, bool accumulate, WinogradVariant variant) {
  check(winograd_applicable(s), "conv2d_winograd: needs a 3x3 filter, stride 1, dilation 1, input channels >= 1");
  const size_t n = static_cast<size_t>(s.out_c);
  const size_t cin = static_cast<size_t>(s.in_c);
  if (s.batch == 0 || s.out_h == 0 || s.out_w == 0 || n == 0) return false;
  const size_t m = variant == WinogradVariant::kF4 ? 4 : 2;
  const size_t t = m + 2, elems = t * t;
  const GemmKernel kernel = gemm_select(n);
  const BufferPtr packed = packed_transformed_filter(filter_source, filter, cin, n, variant, kernel);
  const float* pu = static_cast<const float*>(packed->data());
  const size_t pf = gemm_packed_floats(kernel, cin, n);
  const Transforms tr = transforms(variant);

  const size_t out_h = static_cast<size_t>(s.out_h), out_w = static_cast<size_t>(s.out_w);
  const size_t tiles_h = div_up(out_h, m), tiles_w = div_up(out_w, m);
  const size_t tiles = static_cast<size_t>(s.batch) * tiles_h * tiles_w;
  // Tiles go through the GEMMs in blocks of whole mr-row GEMM tiles ("units"), as many as keep a block's
  // transformed input and products in L2. With threads: a multiple of `threads` blocks (at least two
  // each) of near-equal units, so few tiles still split evenly: a 14x14 map has 49 F(2x2) tiles, 9 units
  // of 6, which blocks of 18 tiles had split 31:18 between two threads.
  const size_t mr = std::max<size_t>(1, kernel.mr);
  const size_t units = div_up(tiles, mr);
  const size_t fit = std::min(kMaxBlockTiles, kBlockBytes / (elems * (cin + n) * sizeof(float))) / mr;
  size_t blocks = div_up(units, std::max<size_t>(1, fit));
  const size_t threads = static_cast<size_t>(num_threads());
  if (threads > 1) blocks = std::min(units, div_up(std::max(blocks, threads * 2), threads) * threads);
  const size_t block = div_up(units, blocks) * mr;  // tiles in the largest block

  int act = 0;
  if (ep.act == Activation::kRelu) act = 1;
  else if (ep.act == Activation::kRelu6) act = 2;
  const bool scalar_act = ep.act != Activation::kLinear && act == 0;

  std::atomic<bool> nan{false};
  parallel_for(blocks, 1, [&](size_t begin, size_t end) {
    bool block_nan = false;
    std::vector<float>& vbuf = t_v;
    std::vector<float>& mbuf = t_m;
    std::vector<float>& zero = t_zero;
    if (vbuf.size() < elems * block * cin) vbuf.resize(elems * block * cin);
    if (mbuf.size() < elems * block * n) mbuf.resize(elems * block * n);
    if (zero.size() < cin) zero.assign(cin, 0.f);
    const float* d[36];
    float* y[16];
    const float* res[16];
    for (size_t bi = begin; bi < end; ++bi) {
      const size_t t0 = bi * units / blocks * mr, t1 = std::min(tiles, (bi + 1) * units / blocks * mr);
      const size_t count = t1 - t0;
      for (size_t ti = t0; ti < t1; ++ti) {
        const size_t b = ti / (tiles_h * tiles_w);
        const size_t ty = (ti / tiles_w) % tiles_h, tx = ti % tiles_w;
        for (size_t i = 0; i < t; ++i) {
          const int64_t iy = static_cast<int64_t>(ty * m + i) - s.pad_top;
          for (size_t j = 0; j < t; ++j) {
            const int64_t ix = static_cast<int64_t>(tx * m + j) - s.pad_left;
            d[i * t + j] = iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w
                               ? x + ((b * static_cast<size_t>(s.in_h) + static_cast<size_t>(iy)) *
                                          static_cast<size_t>(s.in_w) + static_cast<size_t>(ix)) * cin
                               : zero.data();
          }
        }
        tr.input(d, cin, vbuf.data() + (ti - t0) * cin, block * cin);
      }
      const GemmEpilogueParams none;
      for (size_t e = 0; e < elems; ++e) {
        gemm_compute(kernel, count, n, cin, vbuf.data() + e * block * cin, cin, pu + e * pf,
                     mbuf.data() + e * block * n, n, none, false, false);
      }
      for (size_t ti = t0; ti < t1; ++ti) {
        const size_t b = ti / (tiles_h * tiles_w);
        const size_t ty = (ti / tiles_w) % tiles_h, tx = ti % tiles_w;
        for (size_t i = 0; i < m; ++i) {
          const size_t oy = ty * m + i;
          for (size_t j = 0; j < m; ++j) {
            const size_t ox = tx * m + j;
            const bool inside = oy < out_h && ox < out_w;
            const size_t r = (b * out_h + oy) * out_w + ox;
            y[i * m + j] = inside ? out + r * n : nullptr;
            res[i * m + j] = inside && ep.residual != nullptr ? ep.residual + r * ep.residual_stride : nullptr;
          }
        }
        block_nan |= tr.output(mbuf.data() + (ti - t0) * n, block * n, n, y, ep.bias,
                               ep.residual != nullptr ? res : nullptr, act, accumulate);
        if (scalar_act) {
          for (size_t p = 0; p < m * m; ++p) {
            if (y[p] == nullptr) continue;
            for (size_t c = 0; c < n; ++c)
              y[p][c] = apply_activation(y[p][c], ep.act, ep.alpha, ep.prelu != nullptr ? ep.prelu[c] : 0.f);
          }
        }
      }
    }
    if (block_nan) nan.store(true, std::memory_order_relaxed);
  });
  return nan.load(std::memory_order_relaxed);
}

}  // namespace effnet
