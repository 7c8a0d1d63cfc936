// Fused EfficientNet head: 1x1 conv + swish tiled into a per-thread buffer, channel sums, mean,
// classifier GEMM. See effnet/head.h.
#include "effnet/head.h"

#include <algorithm>
#include <vector>

#include "effnet/gemm.h"
#include "effnet/isa.h"
#include "effnet/matmul.h"
#include "effnet/threadpool.h"
#include "ops/elementwise_internal.h"

namespace effnet {
namespace {

constexpr const char* kOp = "EffnetHead: ";

// Floats of the per-thread tile of f (pixels x channels of one block): well inside L2 next to the
// block's packed weights, which each tile streams once.
constexpr size_t kTileFloats = 16 * 1024;
// Head channels of one work item at most (a multiple of the GEMM tile width is taken).
constexpr size_t kBlockColumns = 256;

size_t div_up(size_t x, size_t y) { return (x + y - 1) / y; }

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
