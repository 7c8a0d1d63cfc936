// BatchMatMul / _FusedMatMul: transposes are handled while packing (B) or by one transposed copy (A).
#include "effnet/matmul.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "effnet/threadpool.h"

namespace effnet {
namespace {

// Floats of B one streamed block packs at most (~384 KiB, so that the block is packed and used while it
// is in L2), and its rows when a has many: the GEMM's K block.
constexpr size_t kStreamBlockFloats = 96 * 1024;
constexpr size_t kStreamK = 512;
// Rows of a up to which a block spans all of b's columns, or a thread's share of them (b's rows read in
// long runs; fewer rows a block, at least 8, within kStreamBlockFloats): the output rows are reloaded at
// every block, which costs little while they are few.
constexpr size_t kWideBlockRows = 8;

// out = epilogue(a * b) for one batch's b that is not cached: b is packed a block at a time into a
// buffer of each thread's and multiplied at once, instead of packed whole first. A matmul of a vector by
// a 25088 x 4096 matrix took 331 ms packing all of b into 411 MB of fresh pages (page faults and their
// zeroing were most of it), against 20 ms with b's packing cached. Threads take blocks of columns; with
// fewer blocks than threads, the GEMM splits each block's rows or columns.
void streamed_matmul(const GemmKernel& kernel, size_t m, size_t n, size_t k, const float* a, const float* b,
                     size_t k_stride, size_t n_stride, float* out, const GemmEpilogueParams& ep, bool accumulate) {
  const size_t nr = kernel.nr;
  const size_t n_padded = (n + nr - 1) / nr * nr;
  const size_t threads = static_cast<size_t>(num_threads());
  size_t kb_max = 0, nb_max = 0;
  if (m <= kWideBlockRows && n_padded * 8 <= kStreamBlockFloats) {
    // All columns, or with threads a share of them each (each thread packs its own).
    const size_t panels = n_padded / nr;
    nb_max = (panels + threads - 1) / threads * nr;
    kb_max = std::min(k, std::max<size_t>(8, kStreamBlockFloats / nb_max));
  } else {
    kb_max = std::min(k, kStreamK);
    nb_max = std::min(n_padded, std::max<size_t>(nr, kStreamBlockFloats / kb_max / nr * nr));
  }
  const size_t n_blocks = (n + nb_max - 1) / nb_max;
  const bool by_blocks = threads > 1 && n_blocks >= threads;
  auto columns = [&](size_t n0) {
    const size_t nb = std::min(nb_max, n - n0);
    // Kept by the thread from call to call: a new one would come on fresh pages every time.
    thread_local std::vector<float> block;
    const size_t block_floats = gemm_packed_floats(kernel, kb_max, nb);
    if (block.size() < block_floats) block.resize(block_floats);
    for (size_t k0 = 0; k0 < k; k0 += kb_max) {
      const size_t kb = std::min(kb_max, k - k0);
      gemm_pack_b(kernel, kb, nb, b + k0 * k_stride + n0 * n_stride, k_stride, n_stride, block.data());
      // The epilogue (bias, activation, residual of these columns) with the last K block only.
      GemmEpilogueParams e;
      if (k0 + kb >= k) {
        e = ep;
        if (e.bias != nullptr) e.bias += n0;
        if (e.prelu != nullptr) e.prelu += n0;
        if (e.residual != nullptr) e.residual += n0;
      }
      gemm_compute(kernel, m, nb, kb, a + k0, k, block.data(), out + n0, n, e, accumulate || k0 > 0, !by_blocks);
    }
  };
  if (by_blocks) {
    parallel_for(n_blocks, 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) columns(i * nb_max);
    });
  } else {
    for (size_t i = 0; i < n_blocks; ++i) columns(i * nb_max);
  }
}

}  // namespace

void batch_matmul(const MatMulShape& s, const float* a, const float* b, const BufferPtr& b_source, float* out,
                  const GemmEpilogueParams& ep, bool accumulate) {
  check(s.batch_a >= 1 && s.batch_b >= 1 && s.batch >= 1, "matmul: batch sizes must be >= 1");
  if (s.m == 0 || s.n == 0) return;
  const size_t m = s.m, n = s.n, k = s.k;
  const GemmKernel kernel = gemm_select(n);

  // A as row-major [m, k] per batch.
  std::vector<float> a_copy;
  const float* a_rows = a;
  if (s.transpose_a && k > 0) {
    a_copy.resize(s.batch_a * m * k);
    parallel_for(s.batch_a * m, 64, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        const size_t bi = r / m, i = r % m;
        const float* src = a + bi * m * k + i;
        float* dst = a_copy.data() + r * k;
        for (size_t kk = 0; kk < k; ++kk) dst[kk] = src[kk * m];
      }
    });
    a_rows = a_copy.data();
  }

  // B: a weight's packing cached; a b of each batch's own (one batch included) streamed a block at a time
  // (streamed_matmul); a b broadcast over the batches packed once for all of them.
  const size_t k_stride = s.transpose_b ? 1 : n;
  const size_t n_stride = s.transpose_b ? k : 1;
  const size_t packed_floats = gemm_packed_floats(kernel, k, n);
  const bool cache = b_source != nullptr && s.batch_b == 1;
  const bool stream = !cache && s.batch_b == s.batch && k > 0;
  BufferPtr cached;
  std::vector<float> packed_local;
  const float* packed = nullptr;
  if (cache) {
    cached = gemm_packed_weights(b_source, s.transpose_b ? "matmul-nk" : "matmul-kn", kernel, k, n, b, k_stride,
                                 n_stride);
    packed = static_cast<const float*>(cached->data());
  } else if (!stream) {
    packed_local.resize(std::max<size_t>(1, s.batch_b * packed_floats));
    parallel_for(s.batch_b, 1, [&](size_t begin, size_t end) {
      for (size_t bi = begin; bi < end; ++bi) {
        gemm_pack_b(kernel, k, n, b + bi * k * n, k_stride, n_stride, packed_local.data() + bi * packed_floats);
      }
    });
    packed = packed_local.data();
  }

  auto one = [&](size_t bi, bool parallel) {
    GemmEpilogueParams e = ep;
    if (e.residual != nullptr) e.residual += bi * m * e.residual_stride;
    const float* a_batch = a_rows + (bi % s.batch_a) * m * k;
    if (stream) {
      // Shares its work between the threads itself, or inside the parallel loop below runs on its own.
      streamed_matmul(kernel, m, n, k, a_batch, b + bi * k * n, k_stride, n_stride, out + bi * m * n, e, accumulate);
    } else {
      gemm_compute(kernel, m, n, k, a_batch, k, packed + (bi % s.batch_b) * packed_floats, out + bi * m * n, n, e,
                   accumulate, parallel);
    }
  };
  const size_t threads = static_cast<size_t>(num_threads());
  if (s.batch >= 2 * threads) {
    parallel_for(s.batch, 1, [&](size_t begin, size_t end) {
      for (size_t bi = begin; bi < end; ++bi) one(bi, false);
    });
  } else {
    for (size_t bi = 0; bi < s.batch; ++bi) one(bi, true);
  }
}

}  // namespace effnet
