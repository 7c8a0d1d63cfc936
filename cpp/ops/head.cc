// Fused EfficientNet head: 1x1 conv + swish tiled into a per-thread buffer, channel sums, mean,
// classifier GEMM. See effnet/head.h.
#include "effnet/head.h"

#include <algorithm>
#include <vector>

#include "effnet/gemm.h"
#include "effnet/isa.h"
#include "effnet/matmul.h"
#include "effnet/packed_cache.h"
#include "effnet/threadpool.h"
#include "kernels/gemm/gemm.h"
#include "ops/elementwise_internal.h"

namespace effnet {
namespace {

constexpr const char* kOp = "EffnetHead: ";

// Floats of the per-thread tile of f (pixels x channels of one block): well inside L2 next to the
// block's packed weights, which each tile streams once.
constexpr size_t kTileFloats = 16 * 1024;
// Head channels of one work item at most (a multiple of the GEMM tile width is taken).
constexpr size_t kBlockColumns = 256;
// Largest block of f (pixels x one GEMM panel of channels) head_one_image_streaming computes at once.
constexpr size_t kStreamingTileFloats = 64 * 1024;

size_t div_up(size_t x, size_t y) { return (x + y - 1) / y; }

// Columns of a panel of the dense weights in the blocked layout (dense_blocks).
constexpr size_t kDensePanel = 48;

// The dense weights [Chead, classes] for head_one_image_streaming, cached against their buffer: for each
// block of `block` head channels, panels of kDensePanel classes (zero past the last), each the block's
// rows of its classes. A block is one contiguous stretch, read in address order panel by panel, so that
// the lines its prefetch did not reach stream in behind the ones it did (rows of the whole width instead:
// the classifier 15 us slower in B1).
BufferPtr dense_blocks(const BufferPtr& dense, size_t rows, size_t classes, size_t block) {
  const size_t panels = div_up(classes, kDensePanel);
  const std::string layout = "head-dense-blocks:k=" + std::to_string(rows) + ",n=" + std::to_string(classes) +
                             ",block=" + std::to_string(block);
  return packed_for(dense, layout, [&] {
    BufferPtr out = packed_buffer(rows * panels * kDensePanel * sizeof(float));
    const float* src = static_cast<const float*>(dense->data());
    float* dst = static_cast<float*>(out->data());
    for (size_t b0 = 0; b0 < rows; b0 += block) {
      const size_t block_rows = std::min(block, rows - b0);
      for (size_t q = 0; q < panels; ++q) {
        const size_t j0 = q * kDensePanel, cols = std::min(kDensePanel, classes - j0);
        float* panel = dst + b0 * panels * kDensePanel + q * block_rows * kDensePanel;
        for (size_t r = 0; r < block_rows; ++r) {
          std::copy(src + (b0 + r) * classes + j0, src + (b0 + r) * classes + j0 + cols, panel + r * kDensePanel);
        }
      }
    }
    return out;
  });
}

// One image on the calling thread (AVX-512): the head conv one GEMM panel of channels at a time, and
// after each, those channels' rows of the classifier (a GEMV accumulated block by block, each logit one
// chain of multiply-adds in channel order: the bits of the classifier GEMM in one piece). While a block's
// conv runs, its tiles fetch the block's dense weights (a line a k-step) and the next conv panel (a line
// every other k-step), so that most of the classifier's 5 MB (B0, B1) arrive beside the conv's
// multiply-adds instead of at the memory's rate after them. Zen 5, B1 at 240, graph replay, against the
// classifier as one GEMM after the conv: the head 358 -> 294 us.
void head_one_image_streaming(const HeadParams& p, const float* x, const HeadWeights& w, const PackedFilter& filter,
                              float* out) {
  const size_t P = static_cast<size_t>(p.height * p.width);
  const size_t Cin = static_cast<size_t>(p.in_channels), Ch = static_cast<size_t>(p.head_channels);
  const size_t classes = static_cast<size_t>(p.num_classes);
  const GemmKernel& kernel = filter.kernel;
  const size_t nr = kernel.nr;
  const size_t panels = div_up(classes, kDensePanel);
  const BufferPtr blocks_buffer = dense_blocks(w.dense_kernel, Ch, classes, nr);
  const float* blocks = static_cast<const float*>(blocks_buffer->data());
  const detail::RowSumKernel row_sum = detail::f32_rsum_rows_kernel(Isa::kAvx512);
  const double inv_pixels = 1.0 / static_cast<double>(P);
  std::vector<float> tile(P * nr);
  std::vector<double> sums(nr);
  std::vector<float> means(Ch);
  std::vector<float> logits(panels * kDensePanel, 0.f);
  for (size_t c0 = 0; c0 < Ch; c0 += nr) {
    const size_t columns = std::min(nr, Ch - c0);
    const float* block = blocks + c0 * panels * kDensePanel;
    GemmEpilogueParams ep;
    ep.bias = w.conv_bias + c0;
    ep.act = Activation::kSwish;
    GemmStreams streams;
    if (c0 + nr < Ch) {
      streams.next = filter.data() + (c0 / nr + 1) * nr * Cin;
      streams.next_bytes = nr * Cin * sizeof(float);
    }
    streams.side = block;
    streams.side_bytes = columns * panels * kDensePanel * sizeof(float);
    gemm_compute_panel(kernel, P, columns, Cin, x, Cin, filter.data() + (c0 / nr) * nr * Cin, tile.data(), columns,
                       ep, streams);
    std::fill(sums.begin(), sums.end(), 0.0);
    row_sum(tile.data(), P, columns, columns, sums.data());
    for (size_t c = 0; c < columns; ++c) means[c0 + c] = static_cast<float>(sums[c] * inv_pixels);
    gemm::gemv_panels48_accumulate_avx512(means.data() + c0, columns, block, panels, logits.data());
  }
  for (size_t j = 0; j < classes; ++j) out[j] = logits[j] + w.dense_bias[j];
}

}  // namespace

void head(const HeadParams& p, const float* x, const HeadWeights& w, float* out) {
  head_validate(p);
  const std::string op = kOp;
  const size_t N = static_cast<size_t>(p.batch);
  const size_t P = static_cast<size_t>(p.height * p.width);
  const size_t Cin = static_cast<size_t>(p.in_channels), Ch = static_cast<size_t>(p.head_channels);
  const size_t classes = static_cast<size_t>(p.num_classes);
  auto need = [&](const BufferPtr& b, size_t floats, const char* what) {
    if (b == nullptr) throw Error(op + what + " is missing");
    if (b->bytes() / sizeof(float) < floats) throw Error(op + what + " buffer is too small");
  };
  need(w.conv_kernel, Cin * Ch, "convKernel");
  need(w.dense_kernel, Ch * classes, "denseKernel");
  if (w.conv_bias == nullptr || w.dense_bias == nullptr) throw Error(op + "a bias is missing");
  if (x == nullptr || out == nullptr) throw Error(op + "x or out is missing");
  if (N == 0) return;

  // The head conv's weights packed as the conv op packs a 1x1 HWIO filter (the same cache entry).
  const PackedFilter filter = gemm_packed_1x1_filter(w.conv_kernel, Cin, Ch);
  const GemmKernel& kernel = filter.kernel;
  const float* packed = filter.data();
  const size_t nr = kernel.nr, mr = kernel.mr;
  const detail::RowSumKernel row_sum = detail::f32_rsum_rows_kernel(active_isa());

  // Work items: (image, block of whole GEMM panels). Blocks of up to kBlockColumns channels, narrower
  // (down to one panel) while there are fewer than four items a thread. The split only decides who
  // computes what: every channel's sum is the same whichever block or thread computes it.
  const size_t panels = div_up(Ch, nr);
  const size_t threads = static_cast<size_t>(std::max(1, num_threads()));
  // Batch-1 inference on one thread: the classifier streamed beside the conv. Where the classifier GEMM
  // would keep its K whole (its bits are then those of the blockwise GEMV).
  if (N == 1 && threads == 1 && kernel.isa == Isa::kAvx512 && kernel.fn_prefetch != nullptr &&
      active_isa() == Isa::kAvx512 && P * nr <= kStreamingTileFloats && gemm_keeps_k_whole(gemm_select(classes), 1, Ch)) {
    head_one_image_streaming(p, x, w, filter, out);
    return;
  }
  size_t block_panels = std::max<size_t>(1, std::min(panels, kBlockColumns / nr));
  while (block_panels > 1 && N * div_up(panels, block_panels) < 4 * threads) block_panels = div_up(block_panels, 2);
  const size_t blocks = div_up(panels, block_panels);
  const size_t block_columns = std::min(Ch, block_panels * nr);
  // Pixels a tile: a multiple of the register tile's rows, the tile within kTileFloats.
  const size_t tile_rows = std::min(div_up(P, mr) * mr, std::max(mr, kTileFloats / block_columns / mr * mr));
  const double inv_pixels = 1.0 / static_cast<double>(P);

  std::vector<float> means(N * Ch);
  parallel_for(N * blocks, 1, [&](size_t begin, size_t end) {
    std::vector<float> tile((tile_rows + mr) * block_columns);
    std::vector<double> sums(block_columns);
    for (size_t item = begin; item < end; ++item) {
      const size_t n = item / blocks, b = item % blocks;
      const size_t c0 = b * block_panels * nr;
      const size_t columns = std::min(block_columns, Ch - c0);
      GemmEpilogueParams ep;
      ep.bias = w.conv_bias + c0;
      ep.act = Activation::kSwish;
      std::fill(sums.begin(), sums.end(), 0.0);
      const float* xn = x + n * P * Cin;
      for (size_t p0 = 0, rows = 0; p0 < P; p0 += rows) {
        // A last tile of fewer than mr pixels joins the one before: the GEMM splits K (past 512: B6, B7) for
        // any tile of at least mr rows, as for the whole map in the composed conv, but keeps it whole for
        // fewer, which would sum those pixels' dot products in another order.
        rows = std::min(tile_rows, P - p0);
        if (P - p0 - rows < mr) rows = P - p0;
        gemm_compute(kernel, rows, columns, Cin, xn + p0 * Cin, Cin, packed + (c0 / nr) * nr * Cin, tile.data(),
                     columns, ep, false, /*parallel=*/false, nr * Cin);
        row_sum(tile.data(), rows, columns, columns, sums.data());
      }
      float* m = means.data() + n * Ch + c0;
      for (size_t c = 0; c < columns; ++c) m[c] = static_cast<float>(sums[c] * inv_pixels);
    }
  });

  // The classifier: out = means * Wd + bd, as _FusedMatMul computes it (its cached packing).
  MatMulShape s;
  s.m = N;
  s.n = classes;
  s.k = Ch;
  GemmEpilogueParams ep;
  ep.bias = w.dense_bias;
  batch_matmul(s, means.data(), static_cast<const float*>(w.dense_kernel->data()), w.dense_kernel, out, ep, false);
}

}  // namespace effnet
