// Conv2D / FusedConv2D in NHWC: direct GEMM for 1x1 convs, blocked implicit GEMM (per-block patch
// gathering into a small per-thread buffer) for everything else.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "conv2d_nonfinite.h"
#include "effnet/conv.h"
#include "effnet/packed_cache.h"
#include "effnet/threadpool.h"
#include "effnet/winograd.h"

namespace effnet {
namespace {

size_t div_up(size_t x, size_t y) { return (x + y - 1) / y; }

// Bytes of the per-thread patch buffer a block of output pixels is gathered into.
constexpr size_t kPatchBufferBytes = 192 * 1024;
// Bounds on the rows (output pixels) of one block.
constexpr size_t kMinBlockRows = 96;
constexpr size_t kMaxBlockRows = 1024;
// Convs whose filter row holds at most this many inputs (fw * cin) run conv2d_rows_interleaved.
constexpr int64_t kDirectMaxRow = 48;
// Largest patch matrix gathered in one piece when there are too few pixels to split over threads.
// Patch buffers are per thread and kept between calls (no page faults on every call).
constexpr size_t kWholeGatherBytes = 8u << 20;

// memcpy for long runs; fixed-size 16-byte moves for the short ones (few input channels), which the
// compiler inlines as vector moves instead of calling memcpy.
inline void copy_floats(float* dst, const float* src, size_t n) {
  if (n >= 64) {
    std::memcpy(dst, src, n * sizeof(float));
    return;
  }
  size_t i = 0;
  for (; i + 4 <= n; i += 4) __builtin_memcpy(dst + i, src + i, 4 * sizeof(float));
  for (; i < n; ++i) dst[i] = src[i];
}

inline void zero_floats(float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = 0.f;
}

// Copies `count` groups of CIN floats from src (contiguous) to dst, groups `stride` floats apart.
template <size_t CIN>
inline void interleave(float* dst, size_t stride, const float* src, size_t count) {
  for (size_t c = 0; c < count; ++c, dst += stride, src += CIN) {
    for (size_t i = 0; i < CIN; ++i) dst[i] = src[i];
  }
}

// Gathers the patches of output pixels [p0, p1) (flattened over batch, rows, columns) into buf
// (row length K = filter_h * filter_w * in_c), zeros where the window leaves the image.
void gather_patches(const Conv2DShape& s, const float* x, size_t p0, size_t p1, float* buf) {
  const size_t cin = static_cast<size_t>(s.in_c);
  const size_t k = static_cast<size_t>(s.filter_h * s.filter_w) * cin;
  const size_t hw = static_cast<size_t>(s.out_h * s.out_w);
  size_t b = p0 / hw;
  int64_t oy = static_cast<int64_t>((p0 % hw) / static_cast<size_t>(s.out_w));
  int64_t ox = static_cast<int64_t>((p0 % hw) % static_cast<size_t>(s.out_w)) - 1;
  for (size_t p = p0; p < p1; ++p) {
    if (++ox == s.out_w) {
      ox = 0;
      if (++oy == s.out_h) {
        oy = 0;
        ++b;
      }
    }
    float* dst = buf + (p - p0) * k;
    const float* xb = x + b * static_cast<size_t>(s.in_h * s.in_w) * cin;
    for (int64_t fy = 0; fy < s.filter_h; ++fy) {
      const int64_t iy = oy * s.stride_h - s.pad_top + fy * s.dilation_h;
      if (iy < 0 || iy >= s.in_h) {
        std::memset(dst, 0, static_cast<size_t>(s.filter_w) * cin * sizeof(float));
        dst += static_cast<size_t>(s.filter_w) * cin;
        continue;
      }
      const float* xrow = xb + static_cast<size_t>(iy * s.in_w) * cin;
      const int64_t ix0 = ox * s.stride_w - s.pad_left;
      if (s.dilation_w == 1 && ix0 >= 0 && ix0 + s.filter_w <= s.in_w) {
        // The whole window row is inside the image and contiguous in NHWC: one copy.
        copy_floats(dst, xrow + static_cast<size_t>(ix0) * cin, static_cast<size_t>(s.filter_w) * cin);
        dst += static_cast<size_t>(s.filter_w) * cin;
        continue;
      }
      for (int64_t fx = 0; fx < s.filter_w; ++fx) {
        const int64_t ix = ix0 + fx * s.dilation_w;
        if (ix < 0 || ix >= s.in_w) {
          std::memset(dst, 0, cin * sizeof(float));
        } else {
          copy_floats(dst, xrow + static_cast<size_t>(ix) * cin, cin);
        }
        dst += cin;
      }
    }
  }
}

thread_local std::vector<float> t_patches;

// Input row fy of output row oy (image b) from input column c_lo - pad_left on, or null where that row
// lies outside the image: what the interleaves copy from.
const float* interleave_source_row(const Conv2DShape& s, const float* x, size_t b, int64_t oy, size_t fy, size_t c_lo) {
  const int64_t iy = oy * s.stride_h - s.pad_top + static_cast<int64_t>(fy) * s.dilation_h;
  if (iy < 0 || iy >= s.in_h) return nullptr;
  return x + ((b * static_cast<size_t>(s.in_h) + static_cast<size_t>(iy)) * static_cast<size_t>(s.in_w) +
              (c_lo - static_cast<size_t>(s.pad_left))) * static_cast<size_t>(s.in_c);
}

// The interleave for three input channels (RGB stems), column by column: each group of 3 floats moves
// as one 16-byte copy, whose 4th float lands on the slot written next (the buffer has a float of
// slack after its last column). rows[fy] points at input column c_lo of input row fy, or is null
// where that row lies outside the image. The last inside column copies 3 floats: a 16-byte read
// there would run past the input row (past the image on its last row). ~3x fewer moves than copying
// float by float.
constexpr size_t kMaxInterleavedRows = 16;
void interleave_3_channels(float* buf, size_t columns, size_t fh, const float* const* rows, size_t c_lo, size_t c_hi) {
  static const float kZeros[4] = {};
  const size_t column = fh * 3;
  auto copy16 = [](float* dst, const float* src) { std::memcpy(dst, src, 4 * sizeof(float)); };
  for (size_t c = 0; c < c_lo; ++c)
    for (size_t fy = 0; fy < fh; ++fy) copy16(buf + c * column + fy * 3, kZeros);
  for (size_t c = c_lo; c + 1 < c_hi; ++c) {
    float* dst = buf + c * column;
    for (size_t fy = 0; fy < fh; ++fy) copy16(dst + fy * 3, rows[fy] != nullptr ? rows[fy] + (c - c_lo) * 3 : kZeros);
  }
  if (c_hi > c_lo) {
    float* dst = buf + (c_hi - 1) * column;
    for (size_t fy = 0; fy < fh; ++fy) {
      const float* src = rows[fy] != nullptr ? rows[fy] + (c_hi - 1 - c_lo) * 3 : kZeros;
      dst[fy * 3] = src[0];
      dst[fy * 3 + 1] = src[1];
      dst[fy * 3 + 2] = src[2];
    }
  }
  for (size_t c = c_hi; c < columns; ++c)
    for (size_t fy = 0; fy < fh; ++fy) copy16(buf + c * column + fy * 3, kZeros);
}

}  // namespace

namespace {

// The fh input rows of output row oy (image b) interleaved into buf, any number of channels.
void interleave_rows(const Conv2DShape& s, const float* x, size_t b, int64_t oy, size_t columns, size_t c_lo, size_t c_hi,
                     float* buf) {
  const size_t cin = static_cast<size_t>(s.in_c);
  const size_t fh = static_cast<size_t>(s.filter_h);
  const size_t column = fh * cin;
  for (size_t fy = 0; fy < fh; ++fy) {
    const float* src = interleave_source_row(s, x, b, oy, fy, c_lo);
    float* dst = buf + fy * cin;
    // A row outside the image is zeros in every column.
    const size_t lo = src != nullptr ? c_lo : 0, hi = src != nullptr ? c_hi : 0;
    for (size_t c = 0; c < lo; ++c) zero_floats(dst + c * column, cin);
    switch (cin) {
      case 1: interleave<1>(dst + lo * column, column, src, hi - lo); break;
      case 2: interleave<2>(dst + lo * column, column, src, hi - lo); break;
      case 3: interleave<3>(dst + lo * column, column, src, hi - lo); break;
      case 4: interleave<4>(dst + lo * column, column, src, hi - lo); break;
      default:
        for (size_t c = lo; c < hi; ++c) copy_floats(dst + c * column, src + (c - lo) * cin, cin);
    }
    for (size_t c = hi; c < columns; ++c) zero_floats(dst + c * column, cin);
  }
}

// A conv's sizes as the few-channel row paths use them.
struct RowDims {
  size_t out_c, in_c, filter_w, k, out_w;  // k = filter_h * filter_w * in_c
};
RowDims row_dims(const Conv2DShape& s) {
  const size_t in_c = static_cast<size_t>(s.in_c), filter_w = static_cast<size_t>(s.filter_w);
  return {static_cast<size_t>(s.out_c), in_c, filter_w, static_cast<size_t>(s.filter_h) * filter_w * in_c,
          static_cast<size_t>(s.out_w)};
}

// Convs with few input channels (stems: 3 channels, 3x3 or 7x7, stride 2), where gathering whole
// patches would cost as much as the multiply, on a tile with a segmented entry (GemmKernel::fn_segmented)
// and the filter packed as HWIO (K in (fy, fx, ci) order). In an output row, pixel ox's window row fy
// is the fw*cin contiguous floats of input row iy at column ox*stride_w - pad_left, and consecutive
// pixels are stride_w*cin floats apart: the GEMM reads A where it lies, a piece per filter row, for
// the pixels whose windows lie inside the image's width; filter rows outside the image add zeros and
// are skipped. The pixels at the left and right borders (and every pixel of a row whose filter rows
// all fall outside) gather their patches. Nothing is copied for the others. Against interleaving the
// input rows (conv2d, hot, one thread, Zen 5, the same tiles): B1's stem 226 -> 179 us, B7's 3550 ->
// 3080, ResNet-152's (7x7) 1270 -> 1180; B1's graph replay 9.077 -> 9.014 ms (18 of 30 rounds).
// Needs dilation_w == 1. Rows [row_begin, row_end) on the calling thread (conv2d_interleaved_rows).
void segmented_rows(const Conv2DShape& s, const float* x, const InterleavedConv& conv, size_t row_begin,
                    size_t row_end, float* out, const GemmEpilogueParams& ep, bool accumulate) {
  const GemmKernel& kernel = conv.kernel;
  const float* pb = static_cast<const float*>(conv.packed->data());
  const RowDims d = row_dims(s);
  const size_t n = d.out_c, cin = d.in_c, fw = d.filter_w, k = d.k, out_w = d.out_w;
  const size_t seg_k = fw * cin;  // floats of one filter row's window
  const size_t panel_stride = gemm_packed_floats(kernel, k, kernel.nr);
  // Output columns whose windows lie inside the image's width: [ox_lo, ox_hi).
  const int64_t last_start = s.in_w - s.filter_w + s.pad_left;  // a window starts at ox * stride_w - pad_left
  const size_t ox_lo = std::min(out_w, static_cast<size_t>((s.pad_left + s.stride_w - 1) / s.stride_w));
  const size_t ox_hi =
      last_start < 0 ? ox_lo : std::max(ox_lo, std::min(out_w, static_cast<size_t>(last_start / s.stride_w + 1)));
  std::vector<float>& buf = t_patches;
  // The border columns of a run of rows [first, end) that read A in place: one GEMM per
  // column over the run's rows (C rows out_w pixels apart), not one per row, whose single pixel costs
  // a whole tile's multiplies. A run is at most a tile of rows, so that its outputs and inputs are
  // still in cache.
  auto border_columns = [&](size_t first, size_t end) {
    const size_t rows = end - first;
    if (rows == 0) return;
    if (buf.size() < rows * k) buf.resize(rows * k);
    auto column = [&](size_t c) {
      for (size_t r = 0; r < rows; ++r) {
        const size_t p = (first + r) * out_w + c;
        gather_patches(s, x, p, p + 1, buf.data() + r * k);
      }
      GemmEpilogueParams e = ep;
      if (e.residual != nullptr) {
        e.residual += ((first - row_begin) * out_w + c) * e.residual_stride;
        e.residual_stride *= out_w;
      }
      gemm_compute(kernel, rows, n, k, buf.data(), k, pb, out + ((first - row_begin) * out_w + c) * n, out_w * n,
                   e, accumulate, false);
    };
    for (size_t c = 0; c < ox_lo; ++c) column(c);
    for (size_t c = ox_hi; c < out_w; ++c) column(c);
  };
  size_t run_begin = row_begin;  // rows [run_begin, row) read A in place; their borders wait for border_columns
  for (size_t row = row_begin; row < row_end; ++row) {
    const size_t b = row / static_cast<size_t>(s.out_h);
    const int64_t oy = static_cast<int64_t>(row % static_cast<size_t>(s.out_h));
    float* out_row = out + (row - row_begin) * out_w * n;
    // Rows of the epilogue's residual from output column c on.
    auto epilogue_from = [&](size_t c) {
      GemmEpilogueParams e = ep;
      if (e.residual != nullptr) e.residual += ((row - row_begin) * out_w + c) * e.residual_stride;
      return e;
    };
    // Filter rows inside the image: [fy_lo, fy_hi).
    const int64_t iy0 = oy * s.stride_h - s.pad_top;
    int64_t fy_lo = 0, fy_hi = s.filter_h;
    while (fy_lo < fy_hi && iy0 + fy_lo * s.dilation_h < 0) ++fy_lo;
    while (fy_hi > fy_lo && iy0 + (fy_hi - 1) * s.dilation_h >= s.in_h) --fy_hi;
    const size_t lo = fy_lo < fy_hi ? ox_lo : 0, hi = fy_lo < fy_hi ? ox_hi : 0;
    if (lo < hi) {
      const size_t iy = static_cast<size_t>(iy0 + fy_lo * s.dilation_h);
      const size_t ix = lo * static_cast<size_t>(s.stride_w) - static_cast<size_t>(s.pad_left);
      const float* a = x + ((b * static_cast<size_t>(s.in_h) + iy) * static_cast<size_t>(s.in_w) + ix) * cin;
      gemm_compute_segmented(kernel, hi - lo, n, static_cast<size_t>(fy_hi - fy_lo), seg_k,
                             static_cast<size_t>(s.dilation_h * s.in_w) * cin, a, static_cast<size_t>(s.stride_w) * cin,
                             pb + static_cast<size_t>(fy_lo) * seg_k * kernel.nr, panel_stride, out_row + lo * n, n,
                             epilogue_from(lo), accumulate);
      if (row + 1 - run_begin >= kernel.mr) {
        border_columns(run_begin, row + 1);
        run_begin = row + 1;
      }
      continue;
    }
    // A row whose windows all leave the image (or reach past both its sides): every column through
    // its gathered patch.
    border_columns(run_begin, row);
    run_begin = row + 1;
    if (buf.size() < out_w * k) buf.resize(out_w * k);
    gather_patches(s, x, row * out_w, row * out_w + out_w, buf.data());
    gemm_compute(kernel, out_w, n, k, buf.data(), k, pb, out_row, n, epilogue_from(0), accumulate, false);
  }
  border_columns(run_begin, row_end);
}

// The same for tiles without a segmented entry (AVX2, portable, the half-vector tiles), the filter
// packed in (fx, fy, ci) row order. Per output row, the fh input rows it reads are interleaved into a
// small buffer of columns, column c holding [fy][ci] of input column c - pad_left (zeros outside the
// image). Output pixel ox's patch, in (fx, fy, ci) order, is then the contiguous fw*fh*cin floats at
// column ox*stride_w, and consecutive pixels are stride_w columns apart: one GEMM per output row reads
// A in place (lda = stride_w*fh*cin). The buffer holds ~stride_w/fw of what im2col would.
void interleaved_rows(const Conv2DShape& s, const float* x, const InterleavedConv& conv, size_t row_begin,
                      size_t row_end, float* out, const GemmEpilogueParams& ep, bool accumulate) {
  if (conv.segmented) return segmented_rows(s, x, conv, row_begin, row_end, out, ep, accumulate);
  const GemmKernel& kernel = conv.kernel;
  const float* pb = static_cast<const float*>(conv.packed->data());
  const RowDims d = row_dims(s);
  const size_t n = d.out_c, cin = d.in_c, fw = d.filter_w, k = d.k, out_w = d.out_w;
  const size_t fh = static_cast<size_t>(s.filter_h);
  const size_t columns = (out_w - 1) * static_cast<size_t>(s.stride_w) + fw;
  const size_t column = fh * cin;  // floats per buffer column
  std::vector<float>& buf = t_patches;
  if (buf.size() < columns * column + 1) buf.resize(columns * column + 1);  // + 1: interleave_3_channels
  // Columns [c_lo, c_hi) lie inside the image (in the rows that do).
  const size_t c_lo = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(columns), s.pad_left));
  const size_t c_hi = static_cast<size_t>(
      std::max<int64_t>(static_cast<int64_t>(c_lo), std::min<int64_t>(static_cast<int64_t>(columns), s.pad_left + s.in_w)));
  for (size_t row = row_begin; row < row_end; ++row) {
    const size_t b = row / static_cast<size_t>(s.out_h);
    const int64_t oy = static_cast<int64_t>(row % static_cast<size_t>(s.out_h));
    if (cin == 3 && fh <= kMaxInterleavedRows) {
      const float* rows[kMaxInterleavedRows];
      for (size_t fy = 0; fy < fh; ++fy) rows[fy] = interleave_source_row(s, x, b, oy, fy, c_lo);
      interleave_3_channels(buf.data(), columns, fh, rows, c_lo, c_hi);
    } else {
      interleave_rows(s, x, b, oy, columns, c_lo, c_hi, buf.data());
    }
    GemmEpilogueParams e = ep;
    if (e.residual != nullptr) e.residual += (row - row_begin) * out_w * e.residual_stride;
    gemm_compute(kernel, out_w, n, k, buf.data(), static_cast<size_t>(s.stride_w) * column, pb,
                 out + (row - row_begin) * out_w * n, n, e, accumulate, false);
  }
}

// Every output row, split over the threads.
void conv2d_rows_interleaved(const Conv2DShape& s, const float* x, const InterleavedConv& conv, float* out,
                             const GemmEpilogueParams& ep, bool accumulate) {
  const size_t n = static_cast<size_t>(s.out_c);
  const size_t k = static_cast<size_t>(s.filter_h * s.filter_w * s.in_c);
  const size_t out_w = static_cast<size_t>(s.out_w);
  const size_t rows = static_cast<size_t>(s.batch * s.out_h);
  // Enough output rows per task that a task outweighs waking a thread (~2^18 multiply-adds).
  const size_t row_fmas = std::max<size_t>(1, out_w * n * k);
  const size_t grain = std::max<size_t>(1, (size_t{1} << 18) / row_fmas);
  parallel_for(rows, grain, [&](size_t begin, size_t end) {
    GemmEpilogueParams e = ep;
    if (e.residual != nullptr) e.residual += begin * out_w * e.residual_stride;
    interleaved_rows(s, x, conv, begin, end, out + begin * out_w * n, e, accumulate);
  });
}

// The HWIO filter packed with its K rows in (fx, fy, ci) order, for conv2d_rows_interleaved.
BufferPtr packed_filter_xyi(const Conv2DShape& s, const BufferPtr& source, const float* filter,
                            const GemmKernel& kernel) {
  const size_t n = static_cast<size_t>(s.out_c);
  const size_t cin = static_cast<size_t>(s.in_c);
  const size_t fh = static_cast<size_t>(s.filter_h), fw = static_cast<size_t>(s.filter_w);
  const size_t k = fh * fw * cin;
  const std::string layout = std::string("gemm-b:conv2d-hwio-as-xyi,tile=") + kernel.name + ",fh=" +
                             std::to_string(fh) + ",fw=" + std::to_string(fw) + ",cin=" + std::to_string(cin) +
                             ",n=" + std::to_string(n);
  return packed_for(source, layout, [&]() {
    std::vector<float> permuted(k * n);
    for (size_t fy = 0; fy < fh; ++fy) {
      for (size_t fx = 0; fx < fw; ++fx) {
        const float* src = filter + (fy * fw + fx) * cin * n;
        float* dst = permuted.data() + (fx * fh + fy) * cin * n;
        std::memcpy(dst, src, cin * n * sizeof(float));
      }
    }
    auto packed = packed_buffer(gemm_packed_floats(kernel, k, n) * sizeof(float));
    gemm_pack_b(kernel, k, n, permuted.data(), n, 1, static_cast<float*>(packed->data()));
    return packed;
  });
}

}  // namespace

bool conv2d_interleaved_applicable(const Conv2DShape& s) {
  return s.dilation_w == 1 && s.filter_w * s.in_c <= kDirectMaxRow;
}

InterleavedConv conv2d_interleaved_prepare(const Conv2DShape& s, const BufferPtr& filter_source, const float* filter) {
  InterleavedConv c;
  const size_t n = static_cast<size_t>(s.out_c);
  const size_t k = static_cast<size_t>(s.filter_h * s.filter_w * s.in_c);
  c.kernel = gemm_select(n);
  c.segmented = c.kernel.fn_segmented != nullptr && !gemm_splits_k(k);
  // HWIO is B = [K, N] with K in (fy, fx, ci) order: the general conv path's packing, one cache entry.
  c.packed = c.segmented ? gemm_packed_weights(filter_source, "conv2d-hwio", c.kernel, k, n, filter, n, 1)
                         : packed_filter_xyi(s, filter_source, filter, c.kernel);
  return c;
}

void conv2d_interleaved_rows(const Conv2DShape& s, const float* x, const InterleavedConv& conv, size_t row_begin,
                             size_t row_end, float* out, const GemmEpilogueParams& ep, bool accumulate) {
  if (s.out_w <= 0 || s.out_c <= 0 || row_end <= row_begin) return;
  interleaved_rows(s, x, conv, row_begin, row_end, out, ep, accumulate);
}

void conv2d_check(const Conv2DShape& s, const char* op) {
  const std::string p = std::string(op) + ": ";
  check(s.batch >= 0 && s.in_h >= 0 && s.in_w >= 0 && s.in_c >= 0 && s.out_h >= 0 && s.out_w >= 0 && s.out_c >= 0,
        p + "negative dimension");
  check(s.filter_h >= 1 && s.filter_w >= 1, p + "filter height and width must be >= 1");
  check(s.stride_h >= 1 && s.stride_w >= 1, p + "strides must be >= 1");
  check(s.dilation_h >= 1 && s.dilation_w >= 1, p + "dilations must be >= 1");
  check(s.pad_top >= 0 && s.pad_left >= 0, p + "padding must be >= 0");
}

void conv2d_with_path(const Conv2DShape& s, const float* x, const BufferPtr& filter_source, const float* filter,
                      float* out, const GemmEpilogueParams& ep, bool accumulate, int path) {
  const size_t pixels = static_cast<size_t>(s.batch * s.out_h * s.out_w);
  const size_t n = static_cast<size_t>(s.out_c);
  if (pixels == 0 || n == 0) return;
  // Infinite or NaN weights (conv2d_nonfinite.h): where windows leave the image, only the taps inside
  // it; otherwise the direct sums, never Winograd's transforms.
  const size_t k = static_cast<size_t>(s.filter_h * s.filter_w * s.in_c);  // GEMM K: one pixel's patch
  const bool finite_filter = conv2d_filter_finite(filter_source, filter, k * n);
  if (!finite_filter && conv2d_window_leaves_image(s)) {
    conv2d_taps_inside(s, x, filter, out, ep, accumulate);
    return;
  }
  // Winograd for 3x3 stride-1 convs: path 4 forces F(2x2,3x3), 5 F(4x4,3x3); elsewhere they mean 0.
  // Where it leaves NaN in an output (an infinite or NaN input: conv2d_winograd), the direct path
  // computes the conv again. With `accumulate` out's previous contents would be gone by then, so the
  // input is checked first instead.
  auto winograd = [&](WinogradVariant v) {
    if (accumulate && !floats_all_finite(x, static_cast<size_t>(s.batch * s.in_h * s.in_w * s.in_c))) return false;
    return !conv2d_winograd(s, x, filter_source, filter, out, ep, accumulate, v) || accumulate;
  };
  WinogradVariant wv = WinogradVariant::kF2;
  if (path == 4 || path == 5) {
    if (finite_filter && winograd_applicable(s) && winograd(path == 5 ? WinogradVariant::kF4 : wv)) return;
    path = 0;
  } else if (path == 0 && finite_filter && winograd_preferred(s, &wv) && winograd(wv)) {
    return;
  }
  const GemmKernel kernel = gemm_select(n);
  const bool interleaved_fits = conv2d_interleaved_applicable(s) &&
                                !(s.filter_h == 1 && s.filter_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                                  s.pad_top == 0 && s.pad_left == 0);
  if ((path == 0 && interleaved_fits) || (path == 3 && s.dilation_w == 1)) {
    conv2d_rows_interleaved(s, x, conv2d_interleaved_prepare(s, filter_source, filter), out, ep, accumulate);
    return;
  }

  // HWIO is already B = [K = fh*fw*cin, N = cout] row-major.
  BufferPtr packed = gemm_packed_weights(filter_source, "conv2d-hwio", kernel, k, n, filter, n, 1);
  const float* pb = static_cast<const float*>(packed->data());

  const bool pointwise = s.filter_h == 1 && s.filter_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                         s.pad_top == 0 && s.pad_left == 0 && s.out_h == s.in_h && s.out_w == s.in_w;
  if (pointwise && path == 0) {
    gemm_compute(kernel, pixels, n, k, x, k, pb, out, n, ep, accumulate, true);
    return;
  }

  // Implicit GEMM over blocks of output pixels. A block is big enough (>= kMinBlockRows rows) that
  // each pass over the packed filter is reused by many rows, and small enough to stay in L2.
  const size_t row_bytes = std::max<size_t>(k, 1) * sizeof(float);
  const size_t mr = kernel.mr;
  size_t block = std::min<size_t>(kMaxBlockRows, std::max<size_t>(kMinBlockRows, kPatchBufferBytes / row_bytes));
  block = std::max(mr, block / mr * mr);
  const size_t threads = static_cast<size_t>(num_threads());
  const bool few_pixels = threads > 1 && div_up(pixels, block) < threads * 2 && pixels * row_bytes <= kWholeGatherBytes;
  if ((few_pixels && path == 0) || path == 2) {
    // Few pixels (late layers at batch 1): gather them all once and let the GEMM split N as well.
    std::vector<float>& buf = t_patches;
    if (buf.size() < pixels * k) buf.resize(pixels * k);
    gather_patches(s, x, 0, pixels, buf.data());
    gemm_compute(kernel, pixels, n, k, buf.data(), k, pb, out, n, ep, accumulate, true);
    return;
  }
  if (threads > 1) {
    // A few blocks per thread, each worth waking a thread for (~2^18 multiply-adds).
    const size_t per_task = div_up(pixels, threads * 4);
    const size_t min_rows = div_up(size_t{1} << 18, std::max<size_t>(1, n * k));
    block = std::min(block, std::max(mr, div_up(std::max(per_task, min_rows), mr) * mr));
  }
  block = std::min(block, div_up(pixels, mr) * mr);
  const size_t blocks = div_up(pixels, block);
  parallel_for(blocks, 1, [&](size_t begin, size_t end) {
    std::vector<float>& buf = t_patches;
    if (buf.size() < block * k) buf.resize(block * k);
    for (size_t bi = begin; bi < end; ++bi) {
      const size_t p0 = bi * block, p1 = std::min(pixels, p0 + block);
      gather_patches(s, x, p0, p1, buf.data());
      GemmEpilogueParams e = ep;
      if (e.residual != nullptr) e.residual += p0 * e.residual_stride;
      gemm_compute(kernel, p1 - p0, n, k, buf.data(), k, pb, out + p0 * n, n, e, accumulate, false);
    }
  });
}

void conv2d(const Conv2DShape& s, const float* x, const BufferPtr& filter_source, const float* filter, float* out,
            const GemmEpilogueParams& ep, bool accumulate) {
  conv2d_with_path(s, x, filter_source, filter, out, ep, accumulate, 0);
}

}  // namespace effnet
