// f32 GEMM microkernels and B-panel packing (one variant per file, the file named after the function).
//
// A microkernel computes one register tile C[mr x nr] (mr <= MR, nr <= NR) of
//   C = A[mr x kc] * Bpanel[kc x NR]  (+ C when load_c; the vector kernels add C to the summed products)
// and, when `ep` is non-null (the last K block), applies the epilogue
//   v = acc + bias[col]; v += residual[row][col]; v = act(v)
// for every effnet::Activation (linear, relu, relu6, elu, leakyrelu, prelu per column, sigmoid,
// swish); the vector kernels evaluate exp with a ~1 ulp polynomial.
//
// A is row-major with row stride `a_stride` (floats); the packed B panel holds, for each k, NR floats
// (columns past N are zero). C has row stride `c_stride`. Only the first nr columns and mr rows of
// C are read or written.
#pragma once
#include <cstddef>
#include <cstdint>

namespace effnet {
namespace gemm {

struct Epilogue {
  const float* bias;      // per column, indexed from the tile's first column; null for none
  const float* prelu;     // per-column slopes when act == kPrelu (indexed like bias)
  const float* residual;  // same-shaped tensor added before the activation; null for none
  size_t residual_stride; // row stride of residual in floats
  int32_t act;            // effnet::Activation code
  float alpha;            // leakyrelu slope
};

using Microkernel = void (*)(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                             float* c, size_t c_stride, bool load_c, const Epilogue* ep);
// Shortest K (k-steps) over which a full tile prefetches (A rows, and Prefetch's lines): shorter rows
// stream well on their own (gemm-prefetch.inc).
constexpr size_t kPrefetchMinK = 96;

// Cache lines a prefetching tile fetches while it runs, spread over its k-steps (PrefetchingMicrokernel).
struct Prefetch {
  // One line every other k-step into L2 (prefetcht1): a share of the packed B that runs after the tile.
  const char* next = nullptr;
  size_t next_lines = 0;
  // One line every k-step into L1 and L2 (prefetcht0): a share of what the caller reads as soon as the
  // GEMM is done (gemm_compute_panel's side stream). Lines fetched a k-step apart ride beside the FMAs;
  // the same lines read after the GEMM come from memory at its rate instead.
  const char* side = nullptr;
  size_t side_lines = 0;
};
// The same tile that also fetches `prefetch`'s lines ahead, as far as its k-steps go. Only full tiles with
// kc >= kPrefetchMinK prefetch; others run without it.
using PrefetchingMicrokernel = void (*)(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride,
                                        const float* b, float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                                        const Prefetch& prefetch);
// The same tile over an A in `segments` pieces of seg_k columns: element k of row i at
// a[i * a_stride + (k / seg_k) * seg_stride + k % seg_k], against seg_k * segments k-steps of B. A
// convolution's input rows read in place: a piece per filter row (conv2d_interleaved_rows).
using SegmentedMicrokernel = void (*)(size_t mr, size_t nr, size_t segments, size_t seg_k, size_t seg_stride,
                                      const float* a, size_t a_stride, const float* b, float* c, size_t c_stride,
                                      bool load_c, const Epilogue* ep);

// Packs B (K x N; element (k, n) at b[k * k_stride + n * n_stride]) into panels of NR columns:
// panel p holds K rows of NR floats for columns [p*NR, p*NR+NR), zero past N.
// `packed` must hold ceil(N/NR)*NR*K floats.
void pack_b(size_t nr_tile, size_t k, size_t n, const float* b, size_t k_stride, size_t n_stride, float* packed);
// The same in k-pairs, for the pairs kernels (gemm_8x24p_avx512, gemm_8x40r_avx512): panel p holds ceil(K/2)
// pairs of k-steps; a pair is 2 * nr_tile floats: the first nr_tile - pair_columns columns of row k, the same of
// row k + 1, then [b(k, j), b(k + 1, j)] for each of the last pair_columns columns j (zero past N, and b(K, j)
// zero when K is odd). `packed` must hold ceil(N/NR)*NR*(K rounded up to even) floats.
void pack_b_pairs(size_t nr_tile, size_t pair_columns, size_t k, size_t n, const float* b, size_t k_stride,
                  size_t n_stride, float* packed);

// AVX-512 (16 floats a vector): 32 zmm registers.
void gemm_6x64_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                      size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_6x64_avx512_segmented(size_t mr, size_t nr, size_t segments, size_t seg_k, size_t seg_stride,
                                const float* a, size_t a_stride, const float* b, float* c, size_t c_stride,
                                bool load_c, const Epilogue* ep);
void gemm_6x64_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                               float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                               const Prefetch& prefetch);
void gemm_12x32_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_12x32_avx512_segmented(size_t mr, size_t nr, size_t segments, size_t seg_k, size_t seg_stride,
                                 const float* a, size_t a_stride, const float* b, float* c, size_t c_stride,
                                 bool load_c, const Epilogue* ep);
void gemm_12x32_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                                float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                                const Prefetch& prefetch);
void gemm_14x16_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_14x16_avx512_segmented(size_t mr, size_t nr, size_t segments, size_t seg_k, size_t seg_stride,
                                 const float* a, size_t a_stride, const float* b, float* c, size_t c_stride,
                                 bool load_c, const Epilogue* ep);
void gemm_3x112_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_3x112_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                                float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                                const Prefetch& prefetch);
void gemm_5x80_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                      size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_5x80_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                               float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                               const Prefetch& prefetch);
void gemm_8x40_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                      size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_14x24_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_8x48_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                      size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_8x48_avx512_segmented(size_t mr, size_t nr, size_t segments, size_t seg_k, size_t seg_stride,
                                const float* a, size_t a_stride, const float* b, float* c, size_t c_stride,
                                bool load_c, const Epilogue* ep);
void gemm_8x48_avx512_prefetch(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b,
                               float* c, size_t c_stride, bool load_c, const Epilogue* ep,
                               const Prefetch& prefetch);
// B packed in k-pairs (pack_b_pairs: all 24 columns, the last 8 of 40); kc even except for the last K block.
void gemm_8x24p_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_8x40r_avx512(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep);
// acc[j] += x[r] * w(r, j) for rows r = 0 .. k - 1 in order, one fused multiply-add each, for the `panels` x 48
// columns of w: `panels` panels of k rows x 48 floats, one after another. Each column is one chain of
// multiply-adds in k order, the chain a GEMM tile computes for a row of A (from 0), so a GEMV accumulated a
// block of rows at a time gives the bits of one GEMM over all of them.
void gemv_panels48_accumulate_avx512(const float* x, size_t k, const float* w, size_t panels, float* acc);
// AVX2 + FMA (8 floats a vector): 16 ymm registers.
void gemm_6x16_avx2(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                    size_t c_stride, bool load_c, const Epilogue* ep);
void gemm_4x24_avx2(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                    size_t c_stride, bool load_c, const Epilogue* ep);
// Plain C++.
void gemm_4x8_portable(size_t mr, size_t nr, size_t kc, const float* a, size_t a_stride, const float* b, float* c,
                       size_t c_stride, bool load_c, const Epilogue* ep);

}  // namespace gemm
}  // namespace effnet
