// The strided copy behind Transpose, Slice, StridedSlice, Tile, BroadcastTo, Reverse, SplitV, Unpack
// and the padding ops: dimension merging, memcpy of contiguous runs, cache-blocked transposition of
// a pair of dimensions, threads for large copies.
#include <algorithm>
#include <cstring>
#include <string>

#include "effnet/layout.h"
#include "effnet/threadpool.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace effnet {
namespace {

struct Dim {
  int64_t n;  // extent
  int64_t s;  // source stride (elements)
  int64_t d;  // destination stride (elements)
};

// Sizes that decide how a copy is split: a task copies at least this many bytes.
constexpr size_t kTaskBytes = size_t{1} << 17;
// Side of a square block in the transposing path (elements).
constexpr int64_t kBlock4 = 16;
constexpr int64_t kBlock1 = 32;

// Drops unit dimensions and merges neighbours that are contiguous in both layouts.
std::vector<Dim> simplify(const std::vector<int64_t>& shape, const StridedLayout& src, const StridedLayout& dst) {
  std::vector<Dim> dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    Dim next{shape[i], src.strides[i], dst.strides[i]};
    if (!dims.empty()) {
      Dim& prev = dims.back();
      if (prev.s == next.s * next.n && prev.d == next.d * next.n) {
        prev = Dim{prev.n * next.n, next.s, next.d};
        continue;
      }
    }
    dims.push_back(next);
  }
  return dims;
}

// Walks the outer dimensions `dims` from linear index `begin`, calling f(src_offset, dst_offset)
// `count` times in row-major order.
template <typename F>
void walk(const std::vector<Dim>& dims, size_t begin, size_t count, int64_t s0, int64_t d0, F&& f) {
  const size_t rank = dims.size();
  std::vector<int64_t> idx(rank, 0);
  int64_t so = s0, dof = d0;
  size_t rest = begin;
  for (size_t k = rank; k-- > 0;) {
    idx[k] = static_cast<int64_t>(rest % static_cast<size_t>(dims[k].n));
    rest /= static_cast<size_t>(dims[k].n);
    so += idx[k] * dims[k].s;
    dof += idx[k] * dims[k].d;
  }
  for (size_t i = 0; i < count; ++i) {
    f(so, dof);
    for (size_t k = rank; k-- > 0;) {
      so += dims[k].s;
      dof += dims[k].d;
      if (++idx[k] < dims[k].n) break;
      so -= dims[k].s * dims[k].n;
      dof -= dims[k].d * dims[k].n;
      idx[k] = 0;
    }
  }
}

template <typename T>
inline T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T>
inline void store(unsigned char* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// Element loop along one dimension (any strides). Buffers are 64-byte aligned and offsets are
// whole elements, so typed pointers are aligned.
template <typename T>
void copy_line(const unsigned char* src, int64_t ss, unsigned char* dst, int64_t ds, int64_t n) {
  const T* s = reinterpret_cast<const T*>(src);
  T* d = reinterpret_cast<T*>(dst);
  if (ds == 1) {
    if (ss == 0) {
      const T v = *s;
      for (int64_t j = 0; j < n; ++j) d[j] = v;
    } else if (ss == -1) {
      for (int64_t j = 0; j < n; ++j) d[j] = s[-j];
    } else {
      for (int64_t j = 0; j < n; ++j) d[j] = s[j * ss];
    }
    return;
  }
  for (int64_t j = 0; j < n; ++j) d[j * ds] = s[j * ss];
}

// One block of a transposing copy: dst[i * dp + j] = src[i + j * sq] for i < np, j < nq.
template <typename T>
void transpose_block(const unsigned char* src, int64_t sq, unsigned char* dst, int64_t dp, int64_t np, int64_t nq) {
  constexpr int64_t E = sizeof(T);
  int64_t i = 0;
#if defined(__SSE2__)
  if (E == 4) {
    // 4x4 tiles through SSE registers (shuffles move bits unchanged, so this suits any 4-byte type).
    for (; i + 4 <= np; i += 4) {
      int64_t j = 0;
      for (; j + 4 <= nq; j += 4) {
        const unsigned char* s = src + (i + j * sq) * E;
        __m128 r0 = _mm_loadu_ps(reinterpret_cast<const float*>(s));
        __m128 r1 = _mm_loadu_ps(reinterpret_cast<const float*>(s + sq * E));
        __m128 r2 = _mm_loadu_ps(reinterpret_cast<const float*>(s + 2 * sq * E));
        __m128 r3 = _mm_loadu_ps(reinterpret_cast<const float*>(s + 3 * sq * E));
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        unsigned char* d = dst + (i * dp + j) * E;
        _mm_storeu_ps(reinterpret_cast<float*>(d), r0);
        _mm_storeu_ps(reinterpret_cast<float*>(d + dp * E), r1);
        _mm_storeu_ps(reinterpret_cast<float*>(d + 2 * dp * E), r2);
        _mm_storeu_ps(reinterpret_cast<float*>(d + 3 * dp * E), r3);
      }
      for (; j < nq; ++j) {
        for (int64_t k = i; k < i + 4; ++k) store<T>(dst + (k * dp + j) * E, load<T>(src + (k + j * sq) * E));
      }
    }
  }
#endif
  for (; i < np; ++i) {
    for (int64_t j = 0; j < nq; ++j) store<T>(dst + (i * dp + j) * E, load<T>(src + (i + j * sq) * E));
  }
}

template <typename T>
void copy_typed(const std::vector<Dim>& all, const unsigned char* src, int64_t src_offset, unsigned char* dst,
                int64_t dst_offset) {
  constexpr int64_t E = sizeof(T);
  if (all.empty()) {  // a single element
    std::memcpy(dst + dst_offset * E, src + src_offset * E, E);
    return;
  }
  const Dim last = all.back();

  // A transposing pair: one dimension contiguous in the source (p), another in the destination (q).
  int p = -1, q = -1;
  for (size_t k = 0; k < all.size(); ++k) {
    if (all[k].s == 1 && p < 0) p = static_cast<int>(k);
    if (all[k].d == 1 && q < 0) q = static_cast<int>(k);
  }
  const int64_t block = E == 1 ? kBlock1 : kBlock4;
  if (p >= 0 && q >= 0 && p != q && all[p].n >= 4 && all[q].n >= 4 && !(last.s == 1 && last.d == 1)) {
    const Dim dp = all[p], dq = all[q];
    std::vector<Dim> outer;
    for (size_t k = 0; k < all.size(); ++k) {
      if (static_cast<int>(k) != p && static_cast<int>(k) != q) outer.push_back(all[k]);
    }
    size_t outer_count = 1;
    for (const Dim& o : outer) outer_count *= static_cast<size_t>(o.n);
    const size_t p_blocks = static_cast<size_t>((dp.n + block - 1) / block);
    const size_t items = outer_count * p_blocks;
    const size_t item_bytes = static_cast<size_t>(block * dq.n * E);
    const size_t grain = std::max<size_t>(1, kTaskBytes / std::max<size_t>(1, item_bytes));
    parallel_for(items, grain, [&](size_t lo, size_t hi) {
      for (size_t it = lo; it < hi; ++it) {
        const size_t o = it / p_blocks;
        const int64_t p0 = static_cast<int64_t>(it % p_blocks) * block;
        const int64_t p1 = std::min(p0 + block, dp.n);
        walk(outer, o, 1, src_offset, dst_offset, [&](int64_t so, int64_t dof) {
          for (int64_t q0 = 0; q0 < dq.n; q0 += block) {
            const int64_t q1 = std::min(q0 + block, dq.n);
            transpose_block<T>(src + (so + p0 + q0 * dq.s) * E, dq.s, dst + (dof + p0 * dp.d + q0) * E, dp.d, p1 - p0,
                               q1 - q0);
          }
        });
      }
    });
    return;
  }

  // Row copies along the innermost dimension; long rows are split into pieces so that even a
  // single contiguous run uses every thread. A short strided innermost dimension (e.g. 3 channels)
  // trades places with the longest one, so the element loop runs long. Every output element is
  // written once, so the order of the loops does not change the result.
  std::vector<Dim> order = all;
  if (!(order.back().s == 1 && order.back().d == 1) && order.back().n < 16) {
    size_t longest = order.size() - 1;
    for (size_t k = 0; k < order.size(); ++k) {
      if (order[k].n > order[longest].n) longest = k;
    }
    std::swap(order[longest], order.back());
  }
  const Dim inner = order.back();
  std::vector<Dim> outer(order.begin(), order.end() - 1);
  size_t outer_count = 1;
  for (const Dim& o : outer) outer_count *= static_cast<size_t>(o.n);
  const bool contiguous = inner.s == 1 && inner.d == 1;
  const int64_t piece = std::max<int64_t>(1, static_cast<int64_t>(kTaskBytes) / E);
  const int64_t pieces = (inner.n + piece - 1) / piece;
  auto row = [&](int64_t so, int64_t dof, int64_t j0, int64_t j1) {
    if (contiguous) {
      std::memcpy(dst + (dof + j0) * E, src + (so + j0) * E, static_cast<size_t>((j1 - j0) * E));
    } else {
      copy_line<T>(src + (so + j0 * inner.s) * E, inner.s, dst + (dof + j0 * inner.d) * E, inner.d, j1 - j0);
    }
  };
  if (pieces == 1) {
    const size_t row_bytes = static_cast<size_t>(inner.n * E);
    const size_t grain = std::max<size_t>(1, kTaskBytes / row_bytes);
    parallel_for(outer_count, grain, [&](size_t lo, size_t hi) {
      walk(outer, lo, hi - lo, src_offset, dst_offset, [&](int64_t so, int64_t dof) { row(so, dof, 0, inner.n); });
    });
    return;
  }
  const size_t items = outer_count * static_cast<size_t>(pieces);
  parallel_for(items, 1, [&](size_t lo, size_t hi) {
    for (size_t it = lo; it < hi; ++it) {
      const size_t o = it / static_cast<size_t>(pieces);
      const int64_t j0 = static_cast<int64_t>(it % static_cast<size_t>(pieces)) * piece;
      const int64_t j1 = std::min(j0 + piece, inner.n);
      walk(outer, o, 1, src_offset, dst_offset, [&](int64_t so, int64_t dof) { row(so, dof, j0, j1); });
    }
  });
}

}  // namespace

void strided_bounds(const char* op, const std::vector<int64_t>& shape, const StridedLayout& layout, int64_t* lo,
                    int64_t* hi) {
  int64_t a = layout.offset, b = layout.offset;
  for (size_t k = 0; k < shape.size(); ++k) {
    int64_t span;
    if (__builtin_mul_overflow(shape[k] - 1, layout.strides[k], &span)) {
      throw Error(std::string(op) + ": strides too large");
    }
    int64_t* target = span < 0 ? &a : &b;
    if (__builtin_add_overflow(*target, span, target)) throw Error(std::string(op) + ": strides too large");
  }
  *lo = a;
  *hi = b;
}

void strided_copy(const char* op, size_t elem_size, const std::vector<int64_t>& shape, ConstSpan src,
                  const StridedLayout& src_layout, MutSpan dst, const StridedLayout& dst_layout) {
  const std::string name(op);
  check(src_layout.strides.size() == shape.size() && dst_layout.strides.size() == shape.size(),
        name + ": strides and shape have different ranks");
  for (int64_t n : shape) {
    check(n >= 0, name + ": negative dimension " + std::to_string(n));
    if (n == 0) return;
  }
  int64_t lo, hi;
  strided_bounds(op, shape, src_layout, &lo, &hi);
  check(lo >= 0 && static_cast<uint64_t>(hi) < src.elements,
        name + ": source elements [" + std::to_string(lo) + ", " + std::to_string(hi) + "] are outside the input (" +
            std::to_string(src.elements) + " elements)");
  strided_bounds(op, shape, dst_layout, &lo, &hi);
  check(lo >= 0 && static_cast<uint64_t>(hi) < dst.elements,
        name + ": destination elements [" + std::to_string(lo) + ", " + std::to_string(hi) +
            "] are outside the output (" + std::to_string(dst.elements) + " elements)");
  const std::vector<Dim> dims = simplify(shape, src_layout, dst_layout);
  const auto* s = static_cast<const unsigned char*>(src.data);
  auto* d = static_cast<unsigned char*>(dst.data);
  switch (elem_size) {
    case 1: return copy_typed<uint8_t>(dims, s, src_layout.offset, d, dst_layout.offset);
    case 2: return copy_typed<uint16_t>(dims, s, src_layout.offset, d, dst_layout.offset);
    case 4: return copy_typed<uint32_t>(dims, s, src_layout.offset, d, dst_layout.offset);
    case 8: return copy_typed<uint64_t>(dims, s, src_layout.offset, d, dst_layout.offset);
    default: throw Error(name + ": unsupported element size " + std::to_string(elem_size));
  }
}

}  // namespace effnet
