// General f32 GEMM engine: C[M,N] = A[M,K] * B[K,N] with a fused epilogue, cache blocking and threads.
// Reused by conv2d, matmul and fused blocks: pick a kernel for N, pack B once (cached for weights),
// then call gemm_compute on any number of row blocks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "effnet/buffer.h"
#include "effnet/common.h"
#include "effnet/isa.h"

namespace effnet {

namespace gemm {
struct Epilogue;
struct Prefetch;
using Microkernel = void (*)(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t, bool,
                             const Epilogue*);
using PrefetchingMicrokernel = void (*)(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t,
                                        bool, const Epilogue*, const Prefetch&);
using SegmentedMicrokernel = void (*)(size_t, size_t, size_t, size_t, size_t, const float*, size_t, const float*,
                                      float*, size_t, bool, const Epilogue*);
}  // namespace gemm

// A microkernel and its register tile.
struct GemmKernel {
  gemm::Microkernel fn = nullptr;
  size_t mr = 0;           // rows of the register tile
  size_t nr = 0;           // columns of the register tile (= packed panel width)
  Isa isa = Isa::kPortable;
  const char* name = "";   // e.g. "6x64-avx512"; part of packed-weight cache keys
  // B packed in pairs of k-steps when non-zero (gemm_pack_b does it; panels hold K rounded up to even rows):
  // per pair, the first nr - pair_columns columns as the two k-steps' rows, then the last pair_columns
  // columns with the two k-steps interleaved ([b(k, j), b(k + 1, j)]). 8x24p: all 24; 8x40r: the last 8.
  size_t pair_columns = 0;
  // The same tile prefetching a share of the B that runs next (gemm_compute's panel order); null for tiles
  // without one.
  gemm::PrefetchingMicrokernel fn_prefetch = nullptr;
  // The same tile over A in pieces (gemm_compute_segmented); null for tiles without one.
  gemm::SegmentedMicrokernel fn_segmented = nullptr;
  bool k_pairs() const { return pair_columns != 0; }
};

// The best kernel for `n` output columns at the active ISA level (effnet::active_isa()).
GemmKernel gemm_select(size_t n);
// gemm_select, or for N = 24 and 40 and K >= 32 where 512-bit FMAs issue whole a tile over B packed in
// k-pairs (8x24p, 8x40r), for a B packed once and used as it is: code that reads or rewrites packed B
// itself must handle k_pairs() (gemm_scale_packed_rows does).
GemmKernel gemm_select_for_weights(size_t n, size_t k);

// The tile rates gemm_select prices the AVX-512 tiles with: measured on a core that issues a 512-bit FMA
// as two halves (Zen 4) or whole (Zen 5). kAuto picks by the CPU (avx512_in_halves()).
enum class GemmTileRates { kAuto, kHalfWidth, kFullWidth };
// Sets the rates (tests reach every tile with either); returns those in effect, never kAuto.
GemmTileRates set_gemm_tile_rates(GemmTileRates rates);
GemmTileRates gemm_tile_rates();
// Every kernel available at `isa` (for tests and benchmarks).
std::vector<GemmKernel> gemm_kernels(Isa isa);

// Floats a packed B of K x N takes for `kernel`.
size_t gemm_packed_floats(const GemmKernel& kernel, size_t k, size_t n);
// Packs B (element (k, n) at b[k * k_stride + n * n_stride]) into `packed` (gemm_packed_floats floats).
void gemm_pack_b(const GemmKernel& kernel, size_t k, size_t n, const float* b, size_t k_stride, size_t n_stride,
                 float* packed);
// Packed form of a weight B, cached against `source` (the buffer `b` points into) and freed with it.
// `tag` names the caller's interpretation of the source (e.g. "conv2d-hwio"). With `scale` != 1 every
// weight is multiplied by it (a cache entry of its own), and one float after the packed ones is 1 when no
// finite weight overflowed, 0 otherwise.
BufferPtr gemm_packed_weights(const BufferPtr& source, const std::string& tag, const GemmKernel& kernel, size_t k,
                              size_t n, const float* b, size_t k_stride, size_t n_stride, float scale = 1.f);

// A 1x1 convolution's filter ([k, n], HWIO) packed for the tile gemm_select(n) picks: the same cache
// entry as the Conv2D op's packing of that filter.
struct PackedFilter {
  GemmKernel kernel;
  BufferPtr packed;
  const float* data() const { return static_cast<const float*>(packed->data()); }
};
PackedFilter gemm_packed_1x1_filter(const BufferPtr& filter, size_t k, size_t n);
// The same for `kernel` (gemm_select_for_weights(n, k), say).
PackedFilter gemm_packed_1x1_filter(const BufferPtr& filter, size_t k, size_t n, const GemmKernel& kernel);
// out = packed B (K x N, packed for `kernel`) with each row k times scale[k]: a per-K scale folded into
// the weights (the fused MBConv block's squeeze-and-excitation gate). out may be packed.
void gemm_scale_packed_rows(const GemmKernel& kernel, size_t k, size_t n, const float* packed, const float* scale,
                            float* out);
// The same filter times `scale` (a cache entry of its own), for Activation::kSwishScaled. `packed` is
// null when a finite weight overflows when scaled (the caller then runs the unscaled filter).
PackedFilter gemm_packed_1x1_filter_scaled(const BufferPtr& filter, size_t k, size_t n, float scale);

// Epilogue applied to every output element (row r, column j), in this order:
//   v = acc (+ C's previous value when accumulating) + bias[j] + residual[r][j]; v = act(v)
struct GemmEpilogueParams {
  const float* bias = nullptr;      // [N] or null
  const float* prelu = nullptr;     // [N] slopes when act == kPrelu
  const float* residual = nullptr;  // row r at residual + r * residual_stride, or null
  size_t residual_stride = 0;
  Activation act = Activation::kLinear;
  float alpha = 0.f;                // leakyrelu slope
};

// C = A * packed B (+ C when `accumulate`), then the epilogue. A row r at a + r * lda (K floats),
// C row r at c + r * ldc (N floats). Splits M and N over effnet::parallel_for when `parallel`.
// `b_panel_stride` (floats between packed panels, default nr * k) lets packed_b be a K-slice of a
// packed B with more rows: pass the full B's nr * K and packed_b advanced by k0 * nr.
void gemm_compute(const GemmKernel& kernel, size_t m, size_t n, size_t k, const float* a, size_t lda,
                  const float* packed_b, float* c, size_t ldc, const GemmEpilogueParams& ep, bool accumulate,
                  bool parallel = true, size_t b_panel_stride = 0);
// Memory a GEMM's tiles fetch for the caller while they run (gemm_compute_panel), spread over their k-steps.
struct GemmStreams {
  const void* next = nullptr;  // one line every other k-step into L2: the panel the caller runs next
  size_t next_bytes = 0;
  const void* side = nullptr;  // one line every k-step into L1 and L2: what the caller reads right after
  size_t side_bytes = 0;
};
// C = A * one packed panel (n <= kernel.nr columns; K rows of kernel.nr floats, as gemm_compute's panels)
// on the calling thread, K split as gemm_compute splits it, while the full tiles (K blocks of at least
// 96 k-steps, kernels with fn_prefetch) fetch `streams` a share each, as far as their k-steps go (a
// line of `side` per k-step, of `next` per two). Streams from memory ride beside the multiply-adds this
// way; read after the GEMM they would take the memory's time on their own.
void gemm_compute_panel(const GemmKernel& kernel, size_t m, size_t n, size_t k, const float* a, size_t lda,
                        const float* panel, float* c, size_t ldc, const GemmEpilogueParams& ep,
                        const GemmStreams& streams);
// Whether gemm_compute keeps K whole for an M x K x N GEMM with `kernel` (each output one chain of
// multiply-adds over k in order, added to the bias at the end), rather than storing partial sums.
bool gemm_keeps_k_whole(const GemmKernel& kernel, size_t m, size_t k);
// C = A * packed B on the calling thread, for a kernel with fn_segmented, where row r of A is `segments`
// pieces of seg_k floats, piece s at a + r * lda + s * seg_stride (K = segments * seg_k <= 512, one K
// block): a convolution's input rows read where they lie, one piece per filter row. packed_b and
// b_panel_stride as in gemm_compute; the epilogue and `accumulate` as there.
void gemm_compute_segmented(const GemmKernel& kernel, size_t m, size_t n, size_t segments, size_t seg_k,
                            size_t seg_stride, const float* a, size_t lda, const float* packed_b,
                            size_t b_panel_stride, float* c, size_t ldc, const GemmEpilogueParams& ep,
                            bool accumulate);
// Whether gemm_compute over K = k may store partial sums in C before its last block of K rows (K past its
// block size; GEMMs with very few rows keep K whole) and add the epilogue's residual only then: a residual
// must not share C's memory there.
bool gemm_splits_k(size_t k);

// ---- broadcast epilogue operands (bias / prelu slopes shaped as tfjs allows) ----

// How a bias or prelu operand of shape `shape` broadcasts against an output of `out_shape`
// whose last dimension is the GEMM's N.
enum class BroadcastKind { kNone, kPerColumn, kFull };
BroadcastKind broadcast_kind(const std::vector<int64_t>& shape, const std::vector<int64_t>& out_shape);
// The N per-column values of a kPerColumn operand (a scalar-like operand repeats its value).
std::vector<float> per_column_values(const float* data, const std::vector<int64_t>& shape, size_t n);
// Writes `src` broadcast to `out_shape` into dst (row-major). Throws when it does not broadcast.
void broadcast_to(const float* src, const std::vector<int64_t>& src_shape, const std::vector<int64_t>& out_shape,
                  float* dst);
// x = x < 0 ? alpha * x : x with alpha broadcast to `out_shape`.
void prelu_broadcast(float* x, const std::vector<int64_t>& out_shape, const float* alpha,
                     const std::vector<int64_t>& alpha_shape);

}  // namespace effnet
