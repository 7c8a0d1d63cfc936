// Fused MBConv block: expand -> depthwise streamed through a per-thread ring of rows, SE gate,
// gated projection with bias and residual in the GEMM epilogue. See effnet/mbconv.h.
#include "effnet/mbconv.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "effnet/activation.h"
#include "effnet/depthwise.h"
#include "effnet/gemm.h"
#include "effnet/isa.h"
#include "effnet/memory_check.h"
#include "effnet/packed_cache.h"
#include "effnet/threadpool.h"
#include "effnet/weight_arena.h"
#include "kernels/binary/binary.h"
#include "ops/elementwise_internal.h"

namespace effnet {
namespace {

constexpr const char* kOp = "EffnetMBConv: ";

// Builds the message only on failure (the checks run on every call).
[[noreturn]] void fail(const std::string& message) { throw Error(message); }

// Bytes of expanded rows a thread keeps (the ring): well inside L2 next to the depthwise output
// rows and the weights. When the packed expand weights are larger than that, the ring grows up to
// their size (at most kMaxRingBytes), so that each expand GEMM call, which streams all of them,
// covers enough rows.
constexpr size_t kRingBytes = 256 * 1024;
constexpr size_t kMaxRingBytes = 4 << 20;

// Depthwise outputs (d) of at least this many bytes are written with non-temporal stores: they are
// read back only after the whole map (the projection waits for the squeeze-and-excitation gate), so
// from DRAM either way, and ordinary stores would first read every line (read for ownership). A 26 MB
// store stream ran at 15.8 GB/s with ordinary stores and 27.9 GB/s non-temporal (one Zen 4 core).
// B7's blocks, alternating builds: 150x150x288 17.6-18.3 -> 17.4-17.7 ms, 75x75x480 (10.8 MB)
// 11.6-11.8 -> 11.35-11.7; 38x38x960 (5.5 MB, partly still cached when read back) no faster.
constexpr size_t kStreamDepthwiseBytes = size_t(8) << 20;

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

// a * b * ..., throwing instead of wrapping around.
size_t checked_product(std::initializer_list<size_t> factors) {
  size_t total = 1;
  for (size_t f : factors) {
    if (__builtin_mul_overflow(total, f, &total) || total > (size_t(1) << 60)) {
      throw Error(std::string(kOp) + "scratch size out of range");
    }
  }
  return total;
}

// Scratch memory reused across calls (d, rings, sums, gates, folded weights), so a model's blocks
// do not pay for fresh pages on every call. Not a tensor: not counted in Buffer::bytes_in_use().
// Blocks larger than kKeepBytes are freed after the call.
constexpr size_t kKeepBytes = size_t(64) << 20;

struct ScratchBlock {
  void* data = nullptr;
  size_t bytes = 0;
};

std::mutex g_scratch_mutex;
ScratchBlock g_scratch;

// Scratch of at least this many bytes goes on transparent huge pages (2 MiB-aligned, advised; not with
// EFFNET_HUGE_PAGES=0). B7's 150x150 block keeps a 26 MB depthwise output and its rings there: hot, 16.0-16.3
// -> 15.0-15.5 ms; in B7's graph replay the per-call minimums summed 756.6 -> 745.7 ms (the first, 300x300
// blocks gained most: 10.9 -> 9.8 ms, 19.6 -> 18.8 ms), whole replays by turns 0.4% faster on average. Tensor
// buffers of 2 MiB and more on huge pages too were no faster in the graph and slower eager (fresh pages).
constexpr size_t kHugePageBytes = size_t(2) << 20;

// `bytes` (a multiple of 64) at a 64-byte-aligned address; large blocks as above.
void* allocate_scratch(size_t bytes) {
  check_allocation(bytes, "EffnetMBConv: scratch memory");
  const bool huge = bytes >= kHugePageBytes && weight_arena::huge_pages_enabled();
  void* block = huge ? std::aligned_alloc(kHugePageBytes, round_up(bytes, kHugePageBytes)) : std::aligned_alloc(64, bytes);
  if (block == nullptr) fail(std::string(kOp) + "out of memory (" + std::to_string(bytes) + " bytes)");
#ifdef MADV_HUGEPAGE
  if (huge) madvise(block, round_up(bytes, kHugePageBytes), MADV_HUGEPAGE);  // a hint
#endif
  return block;
}

class Scratch {
 public:
  explicit Scratch(size_t bytes) : lock_(g_scratch_mutex, std::try_to_lock) {
    bytes = round_up(std::max<size_t>(bytes, 64), 64);
    if (lock_.owns_lock() && bytes <= kKeepBytes) {
      if (g_scratch.bytes < bytes) {
        std::free(g_scratch.data);
        g_scratch.data = nullptr;
        g_scratch.bytes = 0;
        g_scratch.data = allocate_scratch(bytes);
        g_scratch.bytes = bytes;
      }
      data_ = static_cast<char*>(g_scratch.data);
    } else {
      own_ = allocate_scratch(bytes);
      data_ = static_cast<char*>(own_);
    }
  }
  ~Scratch() { std::free(own_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  char* data() const { return data_; }

 private:
  std::unique_lock<std::mutex> lock_;
  void* own_ = nullptr;
  char* data_ = nullptr;
};

// Carves 64-byte-aligned regions out of one block: first pass measures, second assigns.
class Layout {
 public:
  size_t add(size_t bytes) {
    const size_t at = size_;
    size_ = round_up(size_ + bytes, 64);
    return at;
  }
  size_t size() const { return size_; }

 private:
  size_t size_ = 0;
};

// How pass 1 is shared by `workers` threads. By rows: each worker takes a range of output rows and
// expands the input rows they need, so the k - stride input rows at each boundary are expanded
// twice (a third of a 7x7 map's expand work at k = 5). By channels: each worker takes a range of
// expanded channels, in units of whole expand-GEMM panels and depthwise channel tiles, for every
// row: nothing is computed twice, but the ranges are only as even as the units allow. The split
// with the smaller loss is taken.
struct Pass1Split {
  size_t workers = 1;
  bool by_channels = false;
  size_t unit = 0;   // channels per indivisible block when by_channels
  size_t units = 0;  // ceil(Cexp / unit)

  // Channels [begin, end) of `worker` when by_channels.
  size_t channel_begin(size_t worker) const { return worker * units / workers * unit; }
  size_t channel_end(size_t worker, size_t cexp) const {
    return std::min(cexp, (worker + 1) * units / workers * unit);
  }
};

Pass1Split split_pass1(const MBConvParams& p, size_t threads, size_t gemm_nr, size_t dw_tile) {
  const size_t N = static_cast<size_t>(p.batch), H = static_cast<size_t>(p.in_h);
  const size_t rows_total = N * static_cast<size_t>(p.out_h);
  Pass1Split split;
  split.workers = std::max<size_t>(1, std::min(threads, rows_total));
  // Channel ranges need the expanded rows in a ring of their own (an expand conv) and a depthwise
  // kernel whose packed weights split at channel tiles.
  if (threads < 2 || !p.has_expand || dw_tile == 0) return split;
  // A range starts at a GEMM panel and at a depthwise channel tile (24-column panels and 16-channel
  // tiles meet every 48 channels).
  const size_t unit = std::lcm(gemm_nr, dw_tile);
  const size_t units = (static_cast<size_t>(p.expanded_channels) + unit - 1) / unit;
  const size_t channel_workers = std::min(threads, units);
  if (channel_workers < 2) return split;
  const double imbalance =
      static_cast<double>((units + channel_workers - 1) / channel_workers * channel_workers) / units - 1.0;
  const size_t halo = static_cast<size_t>(std::max<int64_t>(0, p.kernel_size - p.stride));
  const double redundancy = static_cast<double>((split.workers - 1) * halo) / static_cast<double>(N * H);
  if (redundancy > imbalance) {
    split.workers = channel_workers;
    split.by_channels = true;
    split.unit = unit;
    split.units = units;
  }
  return split;
}

}  // namespace

struct MBConvPacked {
  bool filled = false;
  Isa isa = Isa::kPortable;
  uint64_t epoch = 0;
  // `expand` holds the expand conv's weights times kSwishInputScale when expand_scaled (its epilogue is
  // then kSwishScaled).
  PackedFilter expand, se_reduce, se_expand, project;
  bool expand_scaled = false;
  DepthwiseRowPlan depthwise;
  InterleavedConv stem;
  // The expand and depthwise biases times kSwishInputScale (swish_scaled_bias), for the weights packed
  // so. Null where the weights are not scaled, or where a bias is too large to scale: the swish then runs
  // on unscaled weights, packed plainly (expand_unscaled) or planned so (depthwise_unscaled).
  BufferPtr expand_bias, depthwise_bias;
  PackedFilter expand_unscaled;
  DepthwiseRowPlan depthwise_unscaled;
};

std::shared_ptr<MBConvPacked> mbconv_packed_slot() { return std::make_shared<MBConvPacked>(); }

namespace {

// `bias` (n floats) times kSwishInputScale, cached against the bias buffer as packed weights are, or
// null when a value is too large to scale. Scaled once, not on every call: per call it read both biases
// of every block from memory (a replay's weights stream evicts them) and cost B1's graph replay ~33 us a
// pass (Zen 5); cached, the replay ran 6-67 us faster (two models by turns in one process, five runs).
BufferPtr swish_scaled_bias(const BufferPtr& bias, size_t n) {
  const std::string layout = "swish-scaled-bias:n=" + std::to_string(n);
  BufferPtr scaled = packed_for(bias, layout, [&] {
    // n scaled floats, then 1 where every one scaled (0 where one overflowed).
    BufferPtr out = packed_buffer((n + 1) * sizeof(float));
    float* to = static_cast<float*>(out->data());
    to[n] = scale_for_swish(static_cast<const float*>(bias->data()), n, to) ? 1.f : 0.f;
    return out;
  });
  return static_cast<const float*>(scaled->data())[n] == 1.f ? scaled : nullptr;
}

}  // namespace

bool mbconv_output_may_overwrite_input(const MBConvParams& p) {
  return !p.residual || !gemm_splits_k(static_cast<size_t>(p.expanded_channels));
}

void mbconv(const MBConvParams& p, const float* x, const MBConvWeights& w, float* out, MBConvPacked* kept) {
  mbconv_validate(p);
  const size_t N = static_cast<size_t>(p.batch);
  if (N == 0) return;
  const size_t H = static_cast<size_t>(p.in_h), W = static_cast<size_t>(p.in_w);
  const size_t Ho = static_cast<size_t>(p.out_h), Wo = static_cast<size_t>(p.out_w);
  const size_t Cin = static_cast<size_t>(p.in_channels), Cexp = static_cast<size_t>(p.expanded_channels);
  const size_t Cse = static_cast<size_t>(p.se_channels), Cout = static_cast<size_t>(p.out_channels);
  const size_t k = static_cast<size_t>(p.kernel_size), s = static_cast<size_t>(p.stride);
  const std::string op = kOp;
  {
    const size_t x_floats =
        p.has_stem ? checked_product({N, static_cast<size_t>(p.stem.in_h), static_cast<size_t>(p.stem.in_w),
                                      static_cast<size_t>(p.stem.in_c)})
                   : checked_product({N, H, W, Cin});
    const size_t out_floats = checked_product({N, Ho, Wo, Cout});
    const uintptr_t x_at = reinterpret_cast<uintptr_t>(x), out_at = reinterpret_cast<uintptr_t>(out);
    const bool overlap = out_at < x_at + x_floats * sizeof(float) && x_at < out_at + out_floats * sizeof(float);
    check(!overlap || (out_at == x_at && mbconv_output_may_overwrite_input(p)),
          op + "out overlaps x; a block runs in place only with out == x, and without a residual where the "
               "projection's GEMM splits K (expandedChannels beyond its K block)");
  }

  // ---- weights ----
  auto need = [&](const BufferPtr& b, size_t floats, const char* what) {
    if (b == nullptr) fail(op + what + " is missing");
    if (b->bytes() < floats * sizeof(float)) fail(op + what + " buffer is too small");
  };
  if (!w.depthwise_bias || !w.se_reduce_bias || !w.se_expand_bias || !w.project_bias) fail(op + "a weight is missing");
  need(w.se_reduce_kernel, Cexp * Cse, "seReduceKernel");
  need(w.se_expand_kernel, Cse * Cexp, "seExpandKernel");
  need(w.depthwise_kernel, k * k * Cexp, "depthwiseKernel");
  need(w.depthwise_bias, Cexp, "depthwiseBias");
  need(w.project_kernel, Cexp * Cout, "projectKernel");
  const Isa isa = active_isa();

  if (p.has_expand) {
    need(w.expand_kernel, Cin * Cexp, "expandKernel");
    need(w.expand_bias, Cexp, "expandBias");
  }
  if (p.has_stem) {
    need(w.stem_kernel, static_cast<size_t>(p.stem.filter_h * p.stem.filter_w * p.stem.in_c) * Cin, "stemKernel");
    if (w.stem_bias == nullptr) fail(op + "stemBias is missing");
  }
  MBConvPacked local;
  MBConvPacked& forms = kept != nullptr ? *kept : local;
  const uint64_t epoch = packed_cache_epoch();
  const bool reuse = forms.filled && forms.isa == isa && forms.epoch == epoch;
  if (!reuse) {
    forms.filled = false;
    if (p.has_expand) {
      forms.expand = gemm_packed_1x1_filter_scaled(w.expand_kernel, Cin, Cexp, kSwishInputScale);
      forms.expand_scaled = forms.expand.packed != nullptr;
      if (!forms.expand_scaled) forms.expand = gemm_packed_1x1_filter(w.expand_kernel, Cin, Cexp);
    }
    if (p.has_stem) {
      forms.stem = conv2d_interleaved_prepare(p.stem, w.stem_kernel, static_cast<const float*>(w.stem_kernel->data()));
    }
    // The squeeze-excitation convs run as GEMMs with one row an image.
    forms.se_reduce = gemm_packed_1x1_filter(w.se_reduce_kernel, Cexp, Cse);
    forms.se_expand = gemm_packed_1x1_filter(w.se_expand_kernel, Cse, Cexp);
    // The projection's packed B is only read by the GEMM and folded below, so it may take a k-pairs tile.
    forms.project = gemm_packed_1x1_filter(w.project_kernel, Cexp, Cout, gemm_select_for_weights(Cout, Cexp));
  }
  // The expand and depthwise swishes run as kSwishScaled where the weights were packed scaled, with their
  // biases scaled alike (below). A bias too large to scale runs its swish on unscaled weights.
  // (Scaled or not, the expand weights have the same tile and the depthwise plan the same kernel.)
  const PackedFilter* expand = &forms.expand;
  const PackedFilter& se_reduce = forms.se_reduce;
  const PackedFilter& se_expand = forms.se_expand;
  const PackedFilter& project = forms.project;
  const GemmKernel& expand_gemm = expand->kernel;
  const GemmKernel& project_gemm = project.kernel;
  const size_t project_floats = gemm_packed_floats(project_gemm, Cexp, Cout);

  DepthwiseConv2DParams dp;
  dp.batch = p.batch;
  dp.in_h = p.in_h;
  dp.in_w = p.in_w;
  dp.channels = p.expanded_channels;
  dp.multiplier = 1;
  dp.filter_h = dp.filter_w = p.kernel_size;
  dp.stride_h = dp.stride_w = p.stride;
  dp.pad_top = p.pad_top;
  dp.pad_left = p.pad_left;
  dp.out_h = p.out_h;
  dp.out_w = p.out_w;
  dp.activation = Activation::kSwish;
  if (!reuse) {
    forms.depthwise = plan_depthwise_rows(dp, w.depthwise_kernel, isa);
    forms.expand_bias = p.has_expand && forms.expand_scaled ? swish_scaled_bias(w.expand_bias, Cexp) : nullptr;
    forms.expand_unscaled = p.has_expand && forms.expand_scaled && forms.expand_bias == nullptr
                                ? gemm_packed_1x1_filter(w.expand_kernel, Cin, Cexp)
                                : PackedFilter{};
    forms.depthwise_bias = forms.depthwise.swish_scaled ? swish_scaled_bias(w.depthwise_bias, Cexp) : nullptr;
    forms.depthwise_unscaled = forms.depthwise.swish_scaled && forms.depthwise_bias == nullptr
                                   ? plan_depthwise_rows_unscaled(dp, w.depthwise_kernel, isa)
                                   : DepthwiseRowPlan{};
    forms.isa = isa;
    forms.epoch = epoch;
    forms.filled = true;
  }
  const DepthwiseRowPlan* dw_plan =
      forms.depthwise_unscaled.kernel != nullptr ? &forms.depthwise_unscaled : &forms.depthwise;
  const detail::RowSumKernel row_sum = detail::f32_rsum_rows_blocked_kernel(isa);
  // acc[c] += (double) row[c] for a kernel's channel sums: vectors of the ISA level, where the plain loop
  // (SSE2 at best in this file) took ~20 us of B1's graph replay against ~10.
  const detail::RowSumKernel add_row = detail::f32_rsum_rows_kernel(isa);

  // ---- work split and scratch ----
  const size_t rows_total = N * Ho;
  const Pass1Split split = split_pass1(p, static_cast<size_t>(num_threads()), p.has_expand ? expand_gemm.nr : 0,
                                       dw_plan->channel_tile);
  const size_t workers = split.workers;
  // Depthwise rows in pairs (one call, each input row loaded once for both) where the kernel can: a
  // pair reads k + s input rows, so the ring holds that many at least.
  const bool pairs = dw_plan->row_pairs;
  // Channels a worker's expanded rows hold at most, and floats of one such row.
  const size_t ring_channels = split.by_channels ? (split.units + workers - 1) / workers * split.unit : Cexp;
  const size_t e_row = W * ring_channels;
  // Input rows a worker needs for one image at most.
  const size_t max_out_rows = split.by_channels ? Ho : std::min(Ho, (rows_total + workers - 1) / workers + 1);
  const size_t max_in_rows = std::min(H, (max_out_rows - 1) * s + k);
  // Input rows come through the ring when they are computed here (an expand conv or a stem).
  const bool ringed = p.has_expand || p.has_stem;
  size_t ring_rows = 0;
  if (p.has_stem) {
    ring_rows = std::max(k + (pairs ? s : 0), std::min(max_in_rows, kRingBytes / (e_row * sizeof(float))));
  } else if (p.has_expand) {
    const size_t expand_bytes = gemm_packed_floats(expand_gemm, Cin, Cexp) * sizeof(float);
    const size_t budget = std::min(kMaxRingBytes, std::max(kRingBytes, expand_bytes));
    ring_rows = std::max(k + (pairs ? s : 0), std::min(max_in_rows, budget / (e_row * sizeof(float))));
  }
  // Fold the gate into the packed projection (per image) when that touches fewer floats than
  // scaling d (Ho*Wo*Cexp).
  const bool fold = project_floats < Ho * Wo * Cexp;

  Layout layout;
  const size_t d_at = layout.add(checked_product({N, Ho, Wo, Cexp, sizeof(float)}));
  const size_t ring_at = layout.add(checked_product({workers, ring_rows, W, ring_channels, sizeof(float)}));
  const size_t sums_at = layout.add(checked_product({workers, N, Cexp, sizeof(double)}));
  // Kernels that sum their outputs' channels (DepthwiseRowPlan::channel_sums) write a row's (or a
  // pair's) sums here, instead of the rows being read back.
  const size_t row_sums_at = layout.add(dw_plan->channel_sums ? checked_product({workers, ring_channels, sizeof(float)}) : 0);
  const size_t gate_at = layout.add(N * Cexp * sizeof(float));
  const size_t mean_at = layout.add(checked_product({N, Cexp, sizeof(float)}));
  const size_t se_at = layout.add(checked_product({N, Cse, sizeof(float)}));
  const size_t fold_at = layout.add(fold ? project_floats * sizeof(float) : 0);
  Scratch scratch(layout.size());
  char* base = scratch.data();
  float* d = reinterpret_cast<float*>(base + d_at);
  float* rings = reinterpret_cast<float*>(base + ring_at);
  double* sums = reinterpret_cast<double*>(base + sums_at);
  float* row_sums = dw_plan->channel_sums ? reinterpret_cast<float*>(base + row_sums_at) : nullptr;
  float* gate = reinterpret_cast<float*>(base + gate_at);
  float* mean = reinterpret_cast<float*>(base + mean_at);    // [N, Cexp] channel means
  float* se_hidden = reinterpret_cast<float*>(base + se_at);  // [N, Cse] after the reduce conv and swish
  float* folded = reinterpret_cast<float*>(base + fold_at);
  // The biases times kSwishInputScale where the weights were packed so; where a bias was too large to
  // scale, the plain packing, and the depthwise kernel with unscaled weights, which then runs kSwish.
  auto floats = [](const BufferPtr& b) { return b != nullptr ? static_cast<const float*>(b->data()) : nullptr; };
  const bool expand_scaled = forms.expand_bias != nullptr;
  const float* expand_bias = floats(expand_scaled ? forms.expand_bias : w.expand_bias);
  if (forms.expand_unscaled.packed != nullptr) expand = &forms.expand_unscaled;
  const float* depthwise_bias = floats(forms.depthwise_bias != nullptr ? forms.depthwise_bias : w.depthwise_bias);
  std::memset(sums, 0, workers * N * Cexp * sizeof(double));
  // Whole vectors of d stream when it is large; rows are 64-byte aligned when Cexp is a multiple of 16.
  const bool stream_d = N * Ho * Wo * Cexp * sizeof(float) >= kStreamDepthwiseBytes && Cexp % 16 == 0 &&
                        reinterpret_cast<uintptr_t>(d) % 64 == 0;

  // ---- pass 1: expand (or stem) -> depthwise -> channel sums ----
  const size_t x_row = W * Cin;
  const size_t d_row = Wo * Cexp;
  const ptrdiff_t pad_top = static_cast<ptrdiff_t>(p.pad_top);
  const ptrdiff_t H_i = static_cast<ptrdiff_t>(H);
  GemmEpilogueParams expand_ep;
  expand_ep.bias = expand_bias;
  expand_ep.act = expand_scaled ? Activation::kSwishScaled : Activation::kSwish;
  const float* expand_b = p.has_expand ? expand->data() : nullptr;
  GemmEpilogueParams stem_ep;
  stem_ep.bias = w.stem_bias;
  stem_ep.act = Activation::kSwish;

  auto pass1 = [&](size_t worker) {
    size_t r0 = 0, r1 = rows_total, c0 = 0, c1 = Cexp;
    if (split.by_channels) {
      c0 = split.channel_begin(worker);
      c1 = split.channel_end(worker, Cexp);
    } else {
      r0 = worker * rows_total / workers;
      r1 = (worker + 1) * rows_total / workers;
    }
    const size_t cw = c1 - c0;
    const size_t e_stride = W * cw;  // floats of one of this worker's expanded rows
    float* ring = rings + worker * ring_rows * e_row;
    double* worker_sums = sums + worker * N * Cexp;
    float* worker_row_sums = row_sums != nullptr ? row_sums + worker * ring_channels : nullptr;
    std::vector<const float*> rows(k + s);
    dwconv::RowArgs args = depthwise_row_args(dp, *dw_plan, depthwise_bias + c0, nullptr);
    args.rows = rows.data();
    args.channels = cw;
    args.out_stride = Cexp;  // by channels, the worker's range of d's pixels
    args.channel_sums = worker_row_sums;
    args.stream_out = stream_d;
    args.weights += c0 * k * k;  // packed by channel tiles; c0 is a multiple of the tile (see Pass1Split)
    GemmEpilogueParams ep = expand_ep;
    if (p.has_expand) ep.bias = expand_ep.bias + c0;
    const float* expand_panels = p.has_expand ? expand_b + c0 * Cin : nullptr;  // panels of nr columns, K rows
    size_t image = SIZE_MAX;
    size_t ring_hi = 0;     // expanded rows [.., ring_hi) of `image` are in the ring
    size_t row_limit = 0;   // input rows this worker needs from `image`: [.., row_limit)
    const float* x_img = nullptr;
    for (size_t r = r0; r < r1;) {
      const size_t n = r / Ho, oy = r % Ho;
      if (n != image) {
        image = n;
        ring_hi = 0;
        x_img = p.has_stem ? nullptr : x + n * H * x_row;  // with a stem x is the image, read by the stem
        const size_t last_oy = std::min(r1, (n + 1) * Ho) - 1 - n * Ho;
        row_limit = static_cast<size_t>(std::min(H_i, static_cast<ptrdiff_t>(last_oy * s + k) - pad_top));
      }
      const bool pair = pairs && r + 1 < r1 && oy + 1 < Ho;
      const size_t input_rows = pair ? k + s : k;
      const ptrdiff_t lo = static_cast<ptrdiff_t>(oy * s) - pad_top;
      const size_t clo = static_cast<size_t>(std::max<ptrdiff_t>(lo, 0));
      const size_t chi = static_cast<size_t>(std::min(lo + static_cast<ptrdiff_t>(input_rows), H_i));
      if (ringed && chi > ring_hi) {
        // Expand (or stem) rows [start, end) into their ring slots (row iy in slot iy % ring_rows); rows
        // below clo are no longer needed, so up to clo + ring_rows fit.
        const size_t start = std::max(ring_hi, clo);
        const size_t end = std::max(chi, std::min(row_limit, clo + ring_rows));
        for (size_t iy = start; iy < end;) {
          const size_t slot = iy % ring_rows;
          const size_t count = std::min(end - iy, ring_rows - slot);
          if (p.has_stem) {
            conv2d_interleaved_rows(p.stem, x, forms.stem, n * H + iy, n * H + iy + count, ring + slot * e_stride,
                                    stem_ep);
          } else {
            gemm_compute(expand_gemm, count * W, cw, Cin, x_img + iy * x_row, Cin, expand_panels,
                         ring + slot * e_stride, cw, ep, false, /*parallel=*/false);
          }
          iy += count;
        }
        ring_hi = end;
      }
      for (size_t ky = 0; ky < input_rows; ++ky) {
        const ptrdiff_t iy = lo + static_cast<ptrdiff_t>(ky);
        if (iy < 0 || iy >= H_i) {
          rows[ky] = nullptr;
        } else if (ringed) {
          rows[ky] = ring + (static_cast<size_t>(iy) % ring_rows) * e_stride;
        } else {
          rows[ky] = x_img + static_cast<size_t>(iy) * x_row;
        }
      }
      float* out_row = d + r * d_row + c0;
      double* image_sums = worker_sums + n * Cexp + c0;
      args.out = out_row;
      args.out_next = pair ? out_row + d_row : nullptr;
      dw_plan->kernel(args);
      if (worker_row_sums == nullptr) row_sum(out_row, pair ? 2 * Wo : Wo, cw, Cexp, image_sums);
      if (worker_row_sums != nullptr) add_row(worker_row_sums, 1, cw, cw, image_sums);
      r += pair ? 2 : 1;
    }
    if (args.stream_out) std::atomic_thread_fence(std::memory_order_seq_cst);  // drains the streamed rows
  };
  if (workers == 1) {
    pass1(0);
  } else {
    parallel_for(workers, 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) pass1(i);
    });
  }

  // ---- squeeze-and-excitation: gate = sigmoid(swish(mean * Wr + br) * Wx + bx), every image at once ----
  const double inv_count = 1.0 / static_cast<double>(Ho * Wo);
  for (size_t n = 0; n < N; ++n) {
    for (size_t c = 0; c < Cexp; ++c) {
      double total = 0;
      for (size_t i = 0; i < workers; ++i) total += sums[(i * N + n) * Cexp + c];
      // Pass 1 adds up to a pair of rows in float first: values near the float limit (above 1.7e38)
      // overflow there where a float64 sum, tfjs's, stays finite. Such a channel is summed again from d.
      if (!std::isfinite(total)) {
        total = 0;
        const float* channel = d + n * Ho * Wo * Cexp + c;
        for (size_t i = 0; i < Ho * Wo; ++i) total += channel[i * Cexp];
      }
      mean[n * Cexp + c] = static_cast<float>(total * inv_count);
    }
  }
  GemmEpilogueParams reduce_ep;
  reduce_ep.bias = w.se_reduce_bias;
  reduce_ep.act = Activation::kSwish;
  gemm_compute(se_reduce.kernel, N, Cse, Cexp, mean, Cexp, se_reduce.data(), se_hidden, Cse, reduce_ep, false,
               /*parallel=*/false);
  GemmEpilogueParams expand_gate_ep;
  expand_gate_ep.bias = w.se_expand_bias;
  expand_gate_ep.act = Activation::kSigmoid;
  gemm_compute(se_expand.kernel, N, Cexp, Cse, se_hidden, Cse, se_expand.data(), gate, Cexp, expand_gate_ep, false,
               /*parallel=*/false);

  // ---- pass 2: gated projection + bias (+ residual) ----
  const size_t pixels = Ho * Wo;
  GemmEpilogueParams project_ep;
  project_ep.bias = w.project_bias;
  if (p.residual) {
    project_ep.residual = x;
    project_ep.residual_stride = Cin;
  }
  const float* packed = project.data();
  if (fold) {
    // Each row k of the packed projection (whatever its layout) times gate[k].
    for (size_t n = 0; n < N; ++n) {
      gemm_scale_packed_rows(project_gemm, Cexp, Cout, packed, gate + n * Cexp, folded);
      GemmEpilogueParams ep = project_ep;
      if (p.residual) ep.residual = x + n * H * W * Cin;
      gemm_compute(project_gemm, pixels, Cout, Cexp, d + n * pixels * Cexp, Cexp, folded, out + n * pixels * Cout,
                   Cout, ep, false, true);
    }
  } else {
    const size_t total_rows = N * pixels;
    auto scale = [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        float* row = d + r * Cexp;
        detail::f32_binary(kernels::kF32Mul, kernels::kVecVec, row, gate + (r / pixels) * Cexp, row, Cexp);
      }
    };
    parallel_for(total_rows, std::max<size_t>(1, 16384 / Cexp), scale);
    gemm_compute(project_gemm, total_rows, Cout, Cexp, d, Cexp, packed, out, Cout, project_ep, false, true);
  }
}

}  // namespace effnet
