// The GEMM engine: kernel choice per ISA, B packing (cached for weights), cache blocking and threads.
#include "effnet/gemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "effnet/packed_cache.h"
#include "effnet/threadpool.h"
#include "kernels/binary/binary.h"
#include "kernels/gemm/gemm.h"
#include "ops/elementwise_internal.h"

namespace effnet {
namespace {

// Tiles per ISA. AVX-512 (32 zmm): 6x64 keeps 24 accumulators + 4 B vectors + 1 broadcast (10 loads
// per 24 FMAs), 12x32 and 14x16 serve narrow N without computing masked-off columns, 14x24 (a zmm and
// a ymm per row) N = 24k, 8x40 (two zmm and a ymm per row) N = 40, 3x112 (21 accumulators + 7 B
// vectors + 3 broadcasts) N = 112k, 5x80 (25 accumulators + 5 B vectors + 1 broadcast) N = 80k.
// AVX2 (16 ymm): 6x16 = 12 accumulators + 2 B + 1 broadcast (8 loads per 12 FMAs); 4x24 = 12 + 3 + 1
// (7 loads per 12 FMAs, and N = 24k without padding).
const GemmKernel kAvx512_6x64{gemm::gemm_6x64_avx512, 6, 64, Isa::kAvx512, "6x64-avx512", 0,
                              gemm::gemm_6x64_avx512_prefetch, gemm::gemm_6x64_avx512_segmented};
const GemmKernel kAvx512_12x32{gemm::gemm_12x32_avx512, 12, 32, Isa::kAvx512, "12x32-avx512", 0,
                              gemm::gemm_12x32_avx512_prefetch, gemm::gemm_12x32_avx512_segmented};
const GemmKernel kAvx512_14x16{gemm::gemm_14x16_avx512, 14, 16, Isa::kAvx512, "14x16-avx512", 0, nullptr,
                               gemm::gemm_14x16_avx512_segmented};
const GemmKernel kAvx512_14x24{gemm::gemm_14x24_avx512, 14, 24, Isa::kAvx512, "14x24-avx512"};
const GemmKernel kAvx512_8x40{gemm::gemm_8x40_avx512, 8, 40, Isa::kAvx512, "8x40-avx512"};
const GemmKernel kAvx512_3x112{gemm::gemm_3x112_avx512, 3, 112, Isa::kAvx512, "3x112-avx512", 0,
                              gemm::gemm_3x112_avx512_prefetch};
const GemmKernel kAvx512_8x48{gemm::gemm_8x48_avx512, 8, 48, Isa::kAvx512, "8x48-avx512", 0,
                              gemm::gemm_8x48_avx512_prefetch, gemm::gemm_8x48_avx512_segmented};
const GemmKernel kAvx512_5x80{gemm::gemm_5x80_avx512, 5, 80, Isa::kAvx512, "5x80-avx512", 0,
                              gemm::gemm_5x80_avx512_prefetch};
const GemmKernel kAvx512_8x24p{gemm::gemm_8x24p_avx512, 8, 24, Isa::kAvx512, "8x24p-avx512", /*pair_columns=*/24};
const GemmKernel kAvx512_8x40r{gemm::gemm_8x40r_avx512, 8, 40, Isa::kAvx512, "8x40r-avx512", /*pair_columns=*/8};
const GemmKernel kAvx2_6x16{gemm::gemm_6x16_avx2, 6, 16, Isa::kAvx2, "6x16-avx2"};
const GemmKernel kAvx2_4x24{gemm::gemm_4x24_avx2, 4, 24, Isa::kAvx2, "4x24-avx2"};
const GemmKernel kPortable_4x8{gemm::gemm_4x8_portable, 4, 8, Isa::kPortable, "4x8-portable"};

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
size_t div_up(size_t x, size_t y) { return (x + y - 1) / y; }

// Target bytes of the B block (KC x NC) a task reuses from L2 across its rows.
constexpr size_t kL2Block = 384 * 1024;
// Smallest GEMM (in multiply-adds) split over threads.
constexpr double kMinParallelFmas = 1 << 18;
// Largest K block: longer K is split so that A rows (MR x KC) stay in L1, unless the GEMM has so few
// rows that a tile's A rows over the whole K take no more than that (whole_k_fits).
constexpr size_t kMaxKc = 512;
// One thread, at most this many row tiles and panels of at least kPanelOrderMinNr columns: each panel
// (KC x NR) runs all row tiles before the next panel starts, instead of each row tile running every panel
// of the KC x NC block. Then each panel comes from memory once and is reused from L2 at once, and the
// L2 holds a panel and the A block (64 rows x 480 floats: 123 KB each) instead of a 384 KB block of B
// (the small maps' GEMMs, whose packed weights come from DRAM on every pass). Same products, same
// summation order. Zen 5 core, one process alternating both orders (20 rounds, graph replay): B0 5.823 ->
// 5.718 ms (faster in 20 of 20), B1 9.898 -> 9.750 ms (17/20), ResNet-152 97.5 -> 95.5 ms (6/6); in
// B1's 8x8 blocks, for example, expand + projection of 1920 -> 320 channels 918 -> 883 us. With AVX2's
// 16- and 24-column panels (B0 10.98 -> 11.08 ms) and with 40 row tiles (15x15 maps: no change) it does
// not pay.
constexpr size_t kPanelOrderMaxTiles = 16;
constexpr size_t kPanelOrderMinNr = 32;

}  // namespace

std::vector<GemmKernel> gemm_kernels(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return {kAvx512_6x64, kAvx512_12x32, kAvx512_14x16, kAvx512_14x24, kAvx512_3x112, kAvx512_8x40, kAvx512_8x48,
              kAvx512_8x24p, kAvx512_8x40r, kAvx512_5x80};
    case Isa::kAvx2: return {kAvx2_6x16, kAvx2_4x24};
    case Isa::kPortable: break;
  }
  return {kPortable_4x8};
}

namespace {

struct TileRate {
  const GemmKernel* kernel;
  double rate;  // columns per unit of time, against 6x64
};

// Rates measured on 1x1 convs, one thread, on a core that issues a 512-bit FMA as two halves (Zen 4):
// - 14x24 and 8x40 run at about 14x16's rate per computed column (28x28, N = 40 and 72), so they
//   win where they pad N less: 56x56 K=144 N=24 18% faster than 12x32, 28x28 K=240 N=40 17-20%
//   faster than 14x16's 48 columns;
// - 3x112 ran 4-14% faster than the tile picked before it on N = 100, 112, 336 and 672 (14x14 and
//   28x28) and 3% faster than 12x32 on N = 224 at 38x38, K = 1344: at least 6x64's rate;
// - 8x48 ran 11% faster than 14x24 on 56x56, K = 24, N = 144 (swish), 5% faster than 14x16 on
//   N = 48 (K = 144-1152) and 8% faster than 6x64 on 14x14, K = 80, N = 480; equal to 12x32 on
//   N = 96 and 288; 4% slower than 8x40 on N = 240 and 11-17% slower than 6x64 at M = 49 with
//   N = 192 and 1152, which 6x64 does not pad.
const TileRate kHalfWidthRates[] = {{&kAvx512_6x64, 1.0},  {&kAvx512_12x32, 0.95}, {&kAvx512_14x16, 0.85},
                                    {&kAvx512_14x24, 0.85}, {&kAvx512_8x40, 0.85},  {&kAvx512_3x112, 1.0},
                                    {&kAvx512_8x48, 0.97}};
// On a core that issues it whole (Zen 5), per computed column against 6x64 (hot, M = 64-3600, K = 40-1920,
// N = 24-1152, bench results in BENCHMARKS.md): 8x48 1.0, 12x32 0.98, 3x112 0.87-0.99, 8x40 0.81-0.84,
// 14x16 0.77-0.80, 14x24 0.75-0.76: the ymm halves of 14x24 and 8x40 take a whole FMA slot there, and
// 14x16 loads a broadcast per FMA. The half-width rates ran N = 80 on 14x16 (225x480x80: 106.6 us, 8x48
// 98.2) and N = 672 on 3x112 (225x112x672: 178.2 us, 8x48 160.0).
// 5x80 (last, so that it only wins where it pads less): hot, one thread, at 98-100% of the FMA peak on N = 80
// (225x480x80 with residual 78.1 us against 8x48's 97.1, 784x240x80 135.0 against 169.0) and N = 160 (225x960x160
// 339 against 432), and as fast as 6x64 where neither pads (64x1152x320 225.5 against 225.1). Not in the
// half-width table: not measured on such a core.
const TileRate kFullWidthRates[] = {{&kAvx512_6x64, 1.0},  {&kAvx512_12x32, 0.98}, {&kAvx512_14x16, 0.78},
                                    {&kAvx512_14x24, 0.75}, {&kAvx512_8x40, 0.82},  {&kAvx512_3x112, 0.9},
                                    {&kAvx512_8x48, 1.0},  {&kAvx512_5x80, 1.0}};

std::atomic<int> g_tile_rates{static_cast<int>(GemmTileRates::kAuto)};

GemmTileRates resolve(GemmTileRates rates) {
  if (rates != GemmTileRates::kAuto) return rates;
  return avx512_in_halves() ? GemmTileRates::kHalfWidth : GemmTileRates::kFullWidth;
}

}  // namespace

GemmTileRates set_gemm_tile_rates(GemmTileRates rates) {
  g_tile_rates.store(static_cast<int>(rates));
  return resolve(rates);
}

GemmTileRates gemm_tile_rates() {
  return resolve(static_cast<GemmTileRates>(g_tile_rates.load(std::memory_order_relaxed)));
}

GemmKernel gemm_select(size_t n) {
  switch (active_isa()) {
    case Isa::kAvx512: {
      // Columns computed (padded to the tile) divided by the tile's relative throughput; the first of
      // equal costs wins (the order of the tables).
      const bool half = gemm_tile_rates() == GemmTileRates::kHalfWidth;
      const TileRate* begin = half ? std::begin(kHalfWidthRates) : std::begin(kFullWidthRates);
      const TileRate* end = half ? std::end(kHalfWidthRates) : std::end(kFullWidthRates);
      const TileRate* best = begin;
      double best_cost = 0;
      for (const TileRate* c = begin; c != end; ++c) {
        const double cost = static_cast<double>(round_up(n, c->kernel->nr)) / c->rate;
        if (c == begin || cost < best_cost) {
          best = c;
          best_cost = cost;
        }
      }
      return *best->kernel;
    }
    case Isa::kAvx2: {
      // Both tiles run their loops at the same rate (measured on 1x1 convs with N = 48, 96, 144): pick
      // the one that pads N less, 6x16 on ties.
      return round_up(n, 24) < round_up(n, 16) ? kAvx2_4x24 : kAvx2_6x16;
    }
    case Isa::kPortable: break;
  }
  return kPortable_4x8;
}

// N = 24 on the k-pairs tile where 512-bit FMAs issue whole. Hot, one thread, bias and residual (Zen 5):
// 3600x144x24 152 -> 118 us, 3136x144x24 133 -> 102 us, 3600x96x24 100 -> 78 us against 14x24; at K = 15
// slower (17.5 -> 19.4 us: the pairs' final sums weigh more), hence K >= 32. Only for weights packed once:
// other users of packed B (panel offsets of K-slices, rows rewritten in place) assume k-step rows.
// N = 40 on 8x40r (two zmm of k-step rows and the last 8 columns in k-pairs), bench/pipes/gemm-narrow.cc's
// remainder layout: 900x240x40 79 against 8x48's 92 us.
GemmKernel gemm_select_for_weights(size_t n, size_t k) {
  if (k >= 32 && active_isa() == Isa::kAvx512 && gemm_tile_rates() == GemmTileRates::kFullWidth) {
    if (n == 24) return kAvx512_8x24p;
    if (n == 40) return kAvx512_8x40r;
  }
  return gemm_select(n);
}

size_t gemm_packed_floats(const GemmKernel& kernel, size_t k, size_t n) {
  return round_up(n, kernel.nr) * (kernel.k_pairs() ? round_up(k, 2) : k);
}

void gemm_pack_b(const GemmKernel& kernel, size_t k, size_t n, const float* b, size_t k_stride, size_t n_stride,
                 float* packed) {
  if (kernel.k_pairs()) return gemm::pack_b_pairs(kernel.nr, kernel.pair_columns, k, n, b, k_stride, n_stride, packed);
  gemm::pack_b(kernel.nr, k, n, b, k_stride, n_stride, packed);
}

void gemm_scale_packed_rows(const GemmKernel& kernel, size_t k, size_t n, const float* packed, const float* scale,
                            float* out) {
  const size_t nr = kernel.nr;
  const size_t panels = div_up(n, nr);
  auto scaled = [](const float* src, const float* s, float* dst, size_t count) {
    detail::f32_binary(kernels::kF32Mul, kernels::kVecScalar, src, s, dst, count);
  };
  if (!kernel.k_pairs()) {
    for (size_t p = 0; p < panels; ++p) {
      for (size_t r = 0; r < k; ++r) scaled(packed + (p * k + r) * nr, scale + r, out + (p * k + r) * nr, nr);
    }
    return;
  }
  // Pairs: row k's columns, row k + 1's, then the paired columns alternating between k-steps 2q and 2q + 1
  // (the missing step of an odd K holds zeros).
  const size_t pairs = div_up(k, 2);
  const size_t rows = nr - kernel.pair_columns;
  for (size_t p = 0; p < panels; ++p) {
    for (size_t q = 0; q < pairs; ++q) {
      const float s0 = scale[2 * q], s1 = 2 * q + 1 < k ? scale[2 * q + 1] : 0.f;
      const float* src = packed + (p * pairs + q) * 2 * nr;
      float* dst = out + (p * pairs + q) * 2 * nr;
      if (rows > 0) {
        scaled(src, &s0, dst, rows);
        scaled(src + rows, &s1, dst + rows, rows);
      }
      for (size_t j = 2 * rows; j < 2 * nr; j += 2) {
        dst[j] = src[j] * s0;
        dst[j + 1] = src[j + 1] * s1;
      }
    }
  }
}

BufferPtr gemm_packed_weights(const BufferPtr& source, const std::string& tag, const GemmKernel& kernel, size_t k,
                              size_t n, const float* b, size_t k_stride, size_t n_stride, float scale) {
  // Built on every call that uses the weights (the cache lookup), so in one formatting pass; a scale goes
  // in by its bits (formatting a float cost ~0.4 us a lookup, more than the rest of the key).
  char scale_text[24] = "";
  if (scale != 1.f) {
    uint32_t bits = 0;
    std::memcpy(&bits, &scale, sizeof(bits));
    std::snprintf(scale_text, sizeof(scale_text), ",scale=%08x", static_cast<unsigned>(bits));
  }
  char numbers[256];  // at most 6 + 15 + 5 * 25 + 15 characters
  const int length = std::snprintf(numbers, sizeof(numbers), ",tile=%s,k=%zu,n=%zu,ks=%zu,ns=%zu,off=%td%s",
                                   kernel.name, k, n, k_stride, n_stride,
                                   reinterpret_cast<const char*>(b) - static_cast<const char*>(source->data()),
                                   scale_text);
  if (length < 0 || static_cast<size_t>(length) >= sizeof(numbers)) throw Error("gemm: packed-weight key too long");
  std::string layout;
  layout.reserve(7 + tag.size() + static_cast<size_t>(length));
  layout.append("gemm-b:").append(tag).append(numbers, static_cast<size_t>(length));
  return packed_for(source, layout, [&]() {
    const size_t floats = gemm_packed_floats(kernel, k, n);
    if (scale == 1.f) {
      auto packed = packed_buffer(floats * sizeof(float));
      gemm_pack_b(kernel, k, n, b, k_stride, n_stride, static_cast<float*>(packed->data()));
      return packed;
    }
    // Scaled: the packed floats, then one that is 1 when no finite weight overflowed.
    std::vector<float> scaled(k * n);
    bool finite = true;
    for (size_t r = 0; r < k; ++r) {
      for (size_t c = 0; c < n; ++c) {
        const float v = b[r * k_stride + c * n_stride];
        scaled[r * n + c] = v * scale;
        finite = finite && (std::isfinite(scaled[r * n + c]) || !std::isfinite(v));
      }
    }
    auto packed = packed_buffer((floats + 1) * sizeof(float));
    float* to = static_cast<float*>(packed->data());
    gemm_pack_b(kernel, k, n, scaled.data(), n, 1, to);
    to[floats] = finite ? 1.f : 0.f;
    return packed;
  });
}

PackedFilter gemm_packed_1x1_filter(const BufferPtr& filter, size_t k, size_t n) {
  return gemm_packed_1x1_filter(filter, k, n, gemm_select(n));
}

PackedFilter gemm_packed_1x1_filter(const BufferPtr& filter, size_t k, size_t n, const GemmKernel& kernel) {
  PackedFilter f;
  f.kernel = kernel;
  f.packed = gemm_packed_weights(filter, "conv2d-hwio", f.kernel, k, n, static_cast<const float*>(filter->data()), n, 1);
  return f;
}

PackedFilter gemm_packed_1x1_filter_scaled(const BufferPtr& filter, size_t k, size_t n, float scale) {
  PackedFilter f;
  f.kernel = gemm_select(n);
  f.packed = gemm_packed_weights(filter, "conv2d-hwio", f.kernel, k, n, static_cast<const float*>(filter->data()), n, 1,
                                 scale);
  const size_t floats = gemm_packed_floats(f.kernel, k, n);
  if (static_cast<const float*>(f.packed->data())[floats] != 1.f) f.packed = nullptr;
  return f;
}

namespace {

// The epilogue of the tile whose first row is r and first column j0.
gemm::Epilogue tile_epilogue(const GemmEpilogueParams& ep, size_t r, size_t j0) {
  gemm::Epilogue e;
  e.bias = ep.bias ? ep.bias + j0 : nullptr;
  e.prelu = ep.prelu ? ep.prelu + j0 : nullptr;
  e.residual = ep.residual ? ep.residual + r * ep.residual_stride + j0 : nullptr;
  e.residual_stride = ep.residual_stride;
  e.act = static_cast<int32_t>(ep.act);
  e.alpha = ep.alpha;
  return e;
}

// Whether a tile's A rows over all of K (min(m, mr) x k) fit where a full tile's KC block does: then K
// is not split. A GEMV (the classifier, the squeeze-and-excitation convs: M = 1) then reads each panel of
// packed B as one stream, and the whole B as one: the classifier (1 x 1280 x 1000, B from DRAM, the tile's
// K loop per panel against three K blocks per panel) 187.7 -> 161.5 us.
bool whole_k_fits(size_t m, size_t mr, size_t k) { return std::min(m, mr) * k <= mr * kMaxKc; }

// K-steps per K block of an M x K GEMM with tiles of mr rows: k itself where K stays whole, else K split
// into even blocks of at most about kMaxKc (a multiple of 8).
size_t k_block(size_t m, size_t mr, size_t k) {
  if (k <= kMaxKc || whole_k_fits(m, mr, k)) return k;
  return round_up(div_up(k, div_up(k, kMaxKc)), 8);
}

// Row tiles of mr rows over [m0, m1), except that a last tile of one row after a full one becomes two of
// about (mr + 1) / 2: a one-row tile streams the B panel from L2 for a single row's FMAs (49 x 192 x 1152
// with 6x64: the 49th row cost 5% of the GEMM). Never more rows computed than before.
struct RowTiles {
  size_t mr, m1, pair_at;
  RowTiles(size_t mr_, size_t m0, size_t m1_)
      : mr(mr_), m1(m1_), pair_at(m1_ - m0 > mr_ && (m1_ - m0) % mr_ == 1 ? m1_ - mr_ - 1 : m1_) {}
  // Rows of the tile starting at row r.
  size_t rows(size_t r) const { return r == pair_at ? (mr + 2) / 2 : std::min(mr, m1 - r); }
};

}  // namespace

void gemm_compute(const GemmKernel& kernel, size_t m, size_t n, size_t k, const float* a, size_t lda,
                  const float* packed_b, float* c, size_t ldc, const GemmEpilogueParams& ep, bool accumulate,
                  bool parallel, size_t b_panel_stride) {
  if (m == 0 || n == 0) return;
  const size_t mr = kernel.mr, nr = kernel.nr;
  const size_t panel_stride = b_panel_stride != 0 ? b_panel_stride : gemm_packed_floats(kernel, k, nr);
  const size_t panels = div_up(n, nr);
  const size_t kc_max = k_block(m, mr, k);

  // Columns per task: as many panels as keep the KC x NC block of B in L2.
  size_t nc_panels = std::max<size_t>(1, kL2Block / (std::max<size_t>(kc_max, 1) * nr * sizeof(float)));
  nc_panels = std::min(nc_panels, panels);
  const size_t m_tiles = div_up(m, mr);
  size_t mc_tiles = m_tiles;
  // Below ~kMinParallelFmas multiply-adds waking other threads costs more than it saves.
  const bool worth_threads = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= kMinParallelFmas;
  const size_t threads = parallel && worth_threads ? static_cast<size_t>(num_threads()) : 1;
  if (threads > 1) {
    // Enough tasks to balance: split M first, then N (batch-1 layers have few rows).
    const size_t want = threads * 4;
    size_t n_blocks = div_up(panels, nc_panels);
    if (n_blocks * m_tiles < want) {
      nc_panels = 1;
      n_blocks = panels;
    }
    const size_t m_blocks = std::min(m_tiles, std::max<size_t>(1, div_up(want, n_blocks)));
    mc_tiles = div_up(m_tiles, m_blocks);
  }
  const size_t m_blocks = div_up(m_tiles, mc_tiles);
  const size_t n_blocks = div_up(panels, nc_panels);

  const bool panel_order = threads == 1 && m_tiles <= kPanelOrderMaxTiles && nr >= kPanelOrderMinNr;
  auto task = [&](size_t t) {
    const size_t mb = t / n_blocks, nb = t % n_blocks;
    const size_t m0 = mb * mc_tiles * mr, m1 = std::min(m, m0 + mc_tiles * mr);
    const size_t p0 = nb * nc_panels, p1 = std::min(panels, p0 + nc_panels);
    const RowTiles row_tiles(mr, m0, m1);
    auto tile_rows = [&](size_t r) { return row_tiles.rows(r); };
    for (size_t k0 = 0; k0 < k || (k == 0 && k0 == 0); k0 += kc_max) {
      const size_t kc = std::min(kc_max, k - k0);
      const bool last = k0 + kc >= k;
      const bool load = accumulate || k0 > 0;
      // Rows [r, r + rows) times panel p (columns p * nr ...) over this k block.
      auto run_tile = [&](size_t r, size_t rows, size_t p, const char* next = nullptr, size_t lines = 0) {
        const size_t j0 = p * nr;
        const size_t cols = std::min(nr, n - j0);
        float* ct = c + r * ldc + j0;
        // Only the last K block applies the epilogue.
        const gemm::Epilogue e = last ? tile_epilogue(ep, r, j0) : gemm::Epilogue{};
        const gemm::Epilogue* ep_ptr = last ? &e : nullptr;
        const float* bp = packed_b + p * panel_stride + k0 * nr;
        if (lines != 0) {
          gemm::Prefetch prefetch;
          prefetch.next = next;
          prefetch.next_lines = lines;
          kernel.fn_prefetch(rows, cols, kc, a + r * lda + k0, lda, bp, ct, ldc, load, ep_ptr, prefetch);
        } else {
          kernel.fn(rows, cols, kc, a + r * lda + k0, lda, bp, ct, ldc, load, ep_ptr);
        }
      };
      if (panel_order && p1 - p0 > 1) {
        // The row tiles of each panel prefetch the next panel, a share each (GemmKernel::fn_prefetch: one line
        // every other k-step, where kc is long enough to spread it over). Alternating with it off, 16-20
        // rounds, for K >= 384 (the projections): B0 graph 5.490 -> 5.343 and 5.362 -> 5.291 ms, eager 6.160
        // -> 6.044; B1 graph 9.565 -> 9.470, eager 10.509 -> 10.076 (the small maps' projections: 3465 ->
        // 3397 us in B1); ResNet-152 even. Then the expands too (K >= 96 against K >= 384), 30 rounds: graph
        // B0 6.089 -> 6.019 and 7.236 -> 7.133 ms, B1 10.436 -> 10.387 and 12.061 -> 11.927; eager B0 6.070
        // -> 5.966 and B1 10.304 -> 10.138 (on the other vCPU, in a slow spell, even: 7.805 -> 7.760, 12.707
        // -> 12.698); ResNet-152 97.8 vs 97.5 ms (8 of 16). Prefetching in bursts (a share before each tile
        // call instead of in the k loop, T1 or non-temporal hints) was slower: hot, each tile then waits for
        // its prefetches (64x1920x320 348 -> 366 us).
        const size_t tiles = div_up(m1 - m0, mr);
        const bool prefetch = kernel.fn_prefetch != nullptr;
        for (size_t p = p0; p < p1; ++p) {
          // The panel that runs next: the next one of this k block, else the first of the next k block.
          const float* next = nullptr;
          size_t next_kc = 0;
          if (prefetch && p + 1 < p1) {
            next = packed_b + (p + 1) * panel_stride + k0 * nr;
            next_kc = kc;
          } else if (prefetch && !last) {
            next = packed_b + p0 * panel_stride + (k0 + kc) * nr;
            next_kc = std::min(kc_max, k - k0 - kc);
          }
          const size_t lines = next_kc * nr * sizeof(float) / 64;
          const size_t share = div_up(lines, tiles);
          size_t tile = 0;
          for (size_t r = m0, rows = 0; r < m1; r += rows, ++tile) {
            rows = tile_rows(r);
            const size_t l0 = std::min(lines, tile * share), l1 = std::min(lines, l0 + share);
            run_tile(r, rows, p, reinterpret_cast<const char*>(next) + l0 * 64, l1 - l0);
          }
        }
        if (k == 0) break;
        continue;
      }
      for (size_t r = m0, rows = 0; r < m1; r += rows) {
        rows = tile_rows(r);
        const size_t next_rows = r + rows < m1 ? tile_rows(r + rows) : 0;
        for (size_t p = p0; p < p1; ++p) {
          if (next_rows > 0 && p1 - p0 > 1) {
            // The next row tile's A, a share per panel: only the first panel of a tile reads A from
            // memory, so without this its loads come in bursts a panel long.
            const size_t i0 = (p - p0) * next_rows / (p1 - p0), i1 = (p - p0 + 1) * next_rows / (p1 - p0);
            for (size_t i = i0; i < i1; ++i) {
              const char* row = reinterpret_cast<const char*>(a + (r + rows + i) * lda + k0);
              for (size_t byte = 0; byte < kc * sizeof(float); byte += 64) __builtin_prefetch(row + byte, 0, 2);
            }
          }
          run_tile(r, rows, p);
        }
      }
      if (k == 0) break;
    }
  };
  const size_t tasks = m_blocks * n_blocks;
  if (tasks == 1) {
    task(0);
  } else {
    parallel_for(tasks, 1, [&](size_t begin, size_t end) {
      for (size_t t = begin; t < end; ++t) task(t);
    });
  }
}

void gemm_compute_panel(const GemmKernel& kernel, size_t m, size_t n, size_t k, const float* a, size_t lda,
                        const float* panel, float* c, size_t ldc, const GemmEpilogueParams& ep,
                        const GemmStreams& streams) {
  check(n <= kernel.nr, std::string("gemm_compute_panel: ") + std::to_string(n) + " columns for a panel of " +
                            std::to_string(kernel.nr));
  if (m == 0 || n == 0) return;
  const size_t mr = kernel.mr, nr = kernel.nr;
  const size_t kc_max = k_block(m, mr, k);
  // Row tiles and K blocks as gemm_compute makes them: the same sums in the same order.
  const RowTiles row_tiles(mr, 0, m);
  auto tile_rows = [&](size_t r) { return row_tiles.rows(r); };
  // The tile calls that prefetch, and the lines each one takes.
  size_t prefetching = 0;
  if (kernel.fn_prefetch != nullptr) {
    for (size_t k0 = 0; k0 < k; k0 += kc_max) {
      if (std::min(kc_max, k - k0) < gemm::kPrefetchMinK) continue;
      for (size_t r = 0, rows = 0; r < m; r += rows) {
        rows = tile_rows(r);
        if (rows == mr) ++prefetching;
      }
    }
  }
  auto lines_of = [](const void* p, size_t bytes, const char** first) {
    const uintptr_t at = reinterpret_cast<uintptr_t>(p);
    *first = reinterpret_cast<const char*>(at & ~uintptr_t{63});
    return bytes == 0 ? size_t{0} : div_up(bytes + (at & 63), 64);
  };
  const char* next = nullptr;
  const char* side = nullptr;
  size_t next_left = lines_of(streams.next, streams.next_bytes, &next);
  size_t side_left = lines_of(streams.side, streams.side_bytes, &side);
  const size_t next_share = prefetching == 0 ? 0 : div_up(next_left, prefetching);
  const size_t side_share = prefetching == 0 ? 0 : div_up(side_left, prefetching);
  for (size_t k0 = 0; k0 < k || (k == 0 && k0 == 0); k0 += kc_max) {
    const size_t kc = std::min(kc_max, k - k0);
    const bool last = k0 + kc >= k;
    const float* bp = panel + k0 * nr;
    for (size_t r = 0, rows = 0; r < m; r += rows) {
      rows = tile_rows(r);
      // Only the last K block applies the epilogue.
      const gemm::Epilogue e = last ? tile_epilogue(ep, r, 0) : gemm::Epilogue{};
      const gemm::Epilogue* ep_ptr = last ? &e : nullptr;
      if (prefetching != 0 && rows == mr && kc >= gemm::kPrefetchMinK) {
        gemm::Prefetch prefetch;
        prefetch.next = next;
        prefetch.next_lines = std::min({next_share, next_left, kc / 2});
        prefetch.side = side;
        prefetch.side_lines = std::min({side_share, side_left, kc});
        next += prefetch.next_lines * 64;
        next_left -= prefetch.next_lines;
        side += prefetch.side_lines * 64;
        side_left -= prefetch.side_lines;
        kernel.fn_prefetch(rows, n, kc, a + r * lda + k0, lda, bp, c + r * ldc, ldc, k0 > 0, ep_ptr, prefetch);
      } else {
        kernel.fn(rows, n, kc, a + r * lda + k0, lda, bp, c + r * ldc, ldc, k0 > 0, ep_ptr);
      }
    }
    if (k == 0) break;
  }
}

bool gemm_keeps_k_whole(const GemmKernel& kernel, size_t m, size_t k) { return k_block(m, kernel.mr, k) == k; }

void gemm_compute_segmented(const GemmKernel& kernel, size_t m, size_t n, size_t segments, size_t seg_k,
                            size_t seg_stride, const float* a, size_t lda, const float* packed_b,
                            size_t b_panel_stride, float* c, size_t ldc, const GemmEpilogueParams& ep,
                            bool accumulate) {
  check(kernel.fn_segmented != nullptr, std::string("gemm_compute_segmented: tile ") + kernel.name +
                                            " has no segmented entry");
  check(segments * seg_k <= kMaxKc, "gemm_compute_segmented: K must be at most 512");
  if (m == 0 || n == 0) return;
  const size_t mr = kernel.mr, nr = kernel.nr;
  // Panels outer: a panel (K x nr floats) stays in L1 while the row tiles run over it.
  for (size_t j0 = 0; j0 < n; j0 += nr) {
    const float* bp = packed_b + (j0 / nr) * b_panel_stride;
    for (size_t r = 0; r < m; r += mr) {
      const gemm::Epilogue e = tile_epilogue(ep, r, j0);
      kernel.fn_segmented(std::min(mr, m - r), std::min(nr, n - j0), segments, seg_k, seg_stride, a + r * lda, lda,
                          bp, c + r * ldc + j0, ldc, accumulate, &e);
    }
  }
}

bool gemm_splits_k(size_t k) { return k > kMaxKc; }

// ---- broadcast epilogue operands ----

BroadcastKind broadcast_kind(const std::vector<int64_t>& shape, const std::vector<int64_t>& out_shape) {
  const int64_t n = out_shape.empty() ? 1 : out_shape.back();
  for (size_t i = 0; i + 1 < shape.size(); ++i) {
    if (shape[i] != 1) return BroadcastKind::kFull;
  }
  if (shape.empty() || shape.back() == 1 || shape.back() == n) {
    return shape.size() <= out_shape.size() ? BroadcastKind::kPerColumn : BroadcastKind::kFull;
  }
  return BroadcastKind::kFull;
}

std::vector<float> per_column_values(const float* data, const std::vector<int64_t>& shape, size_t n) {
  std::vector<float> out(n);
  const bool scalar = shape.empty() || shape.back() == 1;
  for (size_t j = 0; j < n; ++j) out[j] = scalar ? data[0] : data[j];
  return out;
}

namespace {

// Strides of `src_shape` aligned right against `out_shape`, 0 where broadcast.
std::vector<size_t> broadcast_strides(const std::vector<int64_t>& src_shape, const std::vector<int64_t>& out_shape) {
  check(src_shape.size() <= out_shape.size(), "broadcast: operand has more dimensions than the output");
  std::vector<size_t> strides(out_shape.size(), 0);
  size_t stride = 1;
  for (size_t i = 0; i < src_shape.size(); ++i) {
    const size_t si = src_shape.size() - 1 - i;
    const size_t oi = out_shape.size() - 1 - i;
    check(src_shape[si] == out_shape[oi] || src_shape[si] == 1, "broadcast: operand shape does not broadcast");
    strides[oi] = src_shape[si] == 1 ? 0 : stride;
    stride *= static_cast<size_t>(src_shape[si]);
  }
  return strides;
}

template <typename F>
void for_each_broadcast(const std::vector<int64_t>& out_shape, const std::vector<size_t>& strides, F f) {
  size_t total = 1;
  for (int64_t d : out_shape) total *= static_cast<size_t>(d);
  if (total == 0) return;
  const size_t rank = out_shape.size();
  std::vector<size_t> idx(rank, 0);
  size_t src = 0;
  for (size_t i = 0; i < total; ++i) {
    f(i, src);
    for (size_t d = rank; d-- > 0;) {
      ++idx[d];
      src += strides[d];
      if (idx[d] < static_cast<size_t>(out_shape[d])) break;
      src -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

void broadcast_to(const float* src, const std::vector<int64_t>& src_shape, const std::vector<int64_t>& out_shape,
                  float* dst) {
  const auto strides = broadcast_strides(src_shape, out_shape);
  for_each_broadcast(out_shape, strides, [&](size_t i, size_t s) { dst[i] = src[s]; });
}

void prelu_broadcast(float* x, const std::vector<int64_t>& out_shape, const float* alpha,
                     const std::vector<int64_t>& alpha_shape) {
  const auto strides = broadcast_strides(alpha_shape, out_shape);
  for_each_broadcast(out_shape, strides, [&](size_t i, size_t s) {
    const float v = x[i];
    x[i] = v < 0.f ? alpha[s] * v : v;
  });
}

}  // namespace effnet
