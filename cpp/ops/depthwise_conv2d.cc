// Depthwise 2-D convolution: kernel choice, weight packing, threading over batch x output rows.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "effnet/activation.h"
#include "effnet/depthwise.h"
#include "effnet/packed_cache.h"
#include "effnet/threadpool.h"

namespace effnet {
namespace {

struct FixedKernel {
  int64_t k, s;
  Isa isa;
  dwconv::RowKernel fn;
  size_t tile;
  const char* name;
};

const FixedKernel kFixed[] = {
    {3, 1, Isa::kAvx512, dwconv::dwconv_3x3s1_avx512, dwconv::kTileAvx512, "dwconv_3x3s1_avx512"},
    {3, 2, Isa::kAvx512, dwconv::dwconv_3x3s2_avx512, dwconv::kTileAvx512, "dwconv_3x3s2_avx512"},
    {5, 1, Isa::kAvx512, dwconv::dwconv_5x5s1_avx512, dwconv::kTileAvx512, "dwconv_5x5s1_avx512"},
    {5, 2, Isa::kAvx512, dwconv::dwconv_5x5s2_avx512, dwconv::kTileAvx512, "dwconv_5x5s2_avx512"},
    {3, 1, Isa::kAvx2, dwconv::dwconv_3x3s1_avx2, dwconv::kTileAvx2, "dwconv_3x3s1_avx2"},
    {3, 2, Isa::kAvx2, dwconv::dwconv_3x3s2_avx2, dwconv::kTileAvx2, "dwconv_3x3s2_avx2"},
    {5, 1, Isa::kAvx2, dwconv::dwconv_5x5s1_avx2, dwconv::kTileAvx2, "dwconv_5x5s1_avx2"},
    {5, 2, Isa::kAvx2, dwconv::dwconv_5x5s2_avx2, dwconv::kTileAvx2, "dwconv_5x5s2_avx2"},
    {3, 1, Isa::kPortable, dwconv::dwconv_3x3s1_portable, dwconv::kTilePortable, "dwconv_3x3s1_portable"},
    {3, 2, Isa::kPortable, dwconv::dwconv_3x3s2_portable, dwconv::kTilePortable, "dwconv_3x3s2_portable"},
    {5, 1, Isa::kPortable, dwconv::dwconv_5x5s1_portable, dwconv::kTilePortable, "dwconv_5x5s1_portable"},
    {5, 2, Isa::kPortable, dwconv::dwconv_5x5s2_portable, dwconv::kTilePortable, "dwconv_5x5s2_portable"},
};

// Floats of the packed weights proper: the finiteness flag follows them (pack_weights).
size_t packed_weight_floats(size_t taps, size_t C, size_t tile) { return (C + tile - 1) / tile * taps * tile; }

// [kh][kw][C] -> [ceil(C/tile)][kh*kw][tile], each weight times `scale`, zero-padded channel tail, then one
// more tile whose first float is 1 when every packed weight is finite and 0 otherwise (packed_weights_finite).
BufferPtr pack_weights(const float* filter, size_t taps, size_t C, size_t tile, float scale) {
  const size_t blocks = (C + tile - 1) / tile;
  auto packed = packed_buffer((packed_weight_floats(taps, C, tile) + tile) * sizeof(float));
  float* dst = static_cast<float*>(packed->data());
  std::memset(dst, 0, packed->bytes());
  bool finite = true;
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t t = 0; t < taps; ++t) {
      for (size_t l = 0; l < tile && b * tile + l < C; ++l) {
        const float v = filter[t * C + b * tile + l] * scale;
        dst[(b * taps + t) * tile + l] = v;
        finite = finite && std::isfinite(v);
      }
    }
  }
  dst[packed_weight_floats(taps, C, tile)] = finite ? 1.f : 0.f;
  return packed;
}

// Whether the weights packed by pack_weights are all finite.
bool packed_weights_finite(const BufferPtr& packed, size_t taps, size_t C, size_t tile) {
  return static_cast<const float*>(packed->data())[packed_weight_floats(taps, C, tile)] != 0.f;
}

void validate(const DepthwiseConv2DParams& p) {
  auto positive = [](int64_t v) { return v >= 1; };
  check(p.batch >= 0 && p.in_h >= 0 && p.in_w >= 0 && p.channels >= 0 && p.out_h >= 0 && p.out_w >= 0,
        "depthwise_conv2d: negative dimension");
  check(positive(p.multiplier) && positive(p.filter_h) && positive(p.filter_w),
        "depthwise_conv2d: filter size and channel multiplier must be >= 1");
  check(positive(p.stride_h) && positive(p.stride_w) && positive(p.dilation_h) && positive(p.dilation_w),
        "depthwise_conv2d: strides and dilations must be >= 1");
  check(static_cast<int>(p.activation) >= 0 && static_cast<int>(p.activation) <= 7,
        "depthwise_conv2d: unknown activation code " + std::to_string(static_cast<int>(p.activation)));
  const int64_t big = int64_t(1) << 31;
  check(p.in_h < big && p.in_w < big && p.channels < big && p.filter_h < big && p.filter_w < big &&
            p.stride_h < big && p.stride_w < big && p.dilation_h < big && p.dilation_w < big && p.pad_top > -big &&
            p.pad_top < big && p.pad_left > -big && p.pad_left < big && p.out_h < big && p.out_w < big,
        "depthwise_conv2d: parameter out of range");
}

}  // namespace

DepthwiseRowPlan plan_depthwise_rows(const DepthwiseConv2DParams& p, const BufferPtr& filter, Isa isa) {
  DepthwiseRowPlan plan;
  if (p.multiplier == 1 && p.dilation_h == 1 && p.dilation_w == 1 && p.filter_h == p.filter_w &&
      p.stride_h == p.stride_w) {
    for (const FixedKernel& k : kFixed) {
      if (k.k == p.filter_h && k.s == p.stride_w && k.isa == isa) {
        const size_t taps = static_cast<size_t>(k.k * k.k);
        const size_t C = static_cast<size_t>(p.channels);
        check(filter->bytes() >= taps * C * sizeof(float), "depthwise_conv2d: filter buffer too small");
        // The vector kernels run a swish as Activation::kSwishScaled on weights packed times
        // kSwishInputScale (a multiply less per output vector; their bias is scaled by the caller).
        const bool scaled = p.activation == Activation::kSwish && isa != Isa::kPortable;
        const float scale = scaled ? kSwishInputScale : 1.f;
        const std::string layout = std::string("dwconv:") + isa_name(isa) + ",k=" + std::to_string(k.k) +
                                   ",c=" + std::to_string(C) + ",tile=" + std::to_string(k.tile) +
                                   (scaled ? ",scale=swish" : "");
        const float* src = static_cast<const float*>(filter->data());
        plan.weights = packed_for(filter, layout, [&] { return pack_weights(src, taps, C, k.tile, scale); });
        // The AVX-512 kernels' edge columns multiply the zeros outside a row by the weights, which an
        // infinite or NaN weight would turn into NaN: such filters run the portable kernels, which skip
        // those taps as the reference does. So do filters whose scaled weights overflow.
        if ((isa == Isa::kAvx512 || scaled) && !packed_weights_finite(plan.weights, taps, C, k.tile)) {
          return plan_depthwise_rows(p, filter, Isa::kPortable);
        }
        plan.swish_scaled = scaled;
        plan.kernel = k.fn;
        plan.name = k.name;
        plan.channel_tile = k.tile;
        // AVX2 pairs only at 3x3 stride 1, where they are faster (dwconv-avx2.inc: row_pairs_compiled).
        plan.row_pairs = isa == Isa::kAvx512 || (isa == Isa::kAvx2 && k.k == 3 && k.s == 1);
        plan.channel_sums = isa == Isa::kAvx512;
        return plan;
      }
    }
  }
  plan.kernel = dwconv::dwconv_generic_portable;
  plan.weights = filter;
  plan.name = "dwconv_generic_portable";
  return plan;
}

DepthwiseRowPlan plan_depthwise_rows_unscaled(const DepthwiseConv2DParams& p, const BufferPtr& filter, Isa isa) {
  DepthwiseConv2DParams linear = p;  // plans pack swish weights scaled; a linear plan packs them as they are
  linear.activation = Activation::kLinear;
  return plan_depthwise_rows(linear, filter, isa);
}

const float* depthwise_swish_bias(const DepthwiseConv2DParams& p, const DepthwiseRowPlan& plan, const BufferPtr& filter,
                                  const float* bias, float* scaled, DepthwiseRowPlan* unscaled) {
  if (!plan.swish_scaled || bias == nullptr) return bias;
  if (scale_for_swish(bias, static_cast<size_t>(p.channels * p.multiplier), scaled)) return scaled;
  *unscaled = plan_depthwise_rows_unscaled(p, filter, active_isa());
  return bias;
}

dwconv::RowArgs depthwise_row_args(const DepthwiseConv2DParams& p, const DepthwiseRowPlan& plan, const float* bias,
                                   const float* prelu) {
  dwconv::RowArgs a{};
  a.rows = nullptr;
  a.out = nullptr;
  a.weights = static_cast<const float*>(plan.weights->data());
  a.channels = static_cast<size_t>(p.channels);
  a.out_stride = static_cast<size_t>(p.channels * p.multiplier);
  a.in_w = static_cast<size_t>(p.in_w);
  a.out_w = static_cast<size_t>(p.out_w);
  a.pad_left = static_cast<ptrdiff_t>(p.pad_left);
  a.kernel_h = static_cast<size_t>(p.filter_h);
  a.kernel_w = static_cast<size_t>(p.filter_w);
  a.stride_w = static_cast<size_t>(p.stride_w);
  a.dilation_w = static_cast<size_t>(p.dilation_w);
  a.multiplier = static_cast<size_t>(p.multiplier);
  const Activation act = plan.swish_scaled ? Activation::kSwishScaled : p.activation;
  a.epilogue = dwconv::Epilogue{bias, p.activation == Activation::kPrelu ? prelu : nullptr, static_cast<int32_t>(act),
                                p.leakyrelu_alpha};
  return a;
}

void depthwise_conv2d(const DepthwiseConv2DParams& p, const float* x, const BufferPtr& filter, const float* bias,
                      size_t bias_size, const float* prelu, size_t prelu_size, float* out) {
  const size_t CM = static_cast<size_t>(p.channels * p.multiplier);
  auto operand = [CM](const float* v, size_t n, const char* what) {
    DepthwiseOperand o;
    if (v == nullptr) return o;
    check(n == 1 || n == CM, std::string("depthwise_conv2d: ") + what + " must have 1 or " + std::to_string(CM) +
                                 " values, got " + std::to_string(n));
    o.data = v;
    o.strides[3] = n == 1 ? 0 : 1;
    return o;
  };
  depthwise_conv2d(p, x, filter, operand(bias, bias_size, "bias"),
                   operand(p.activation == Activation::kPrelu ? prelu : nullptr, prelu_size, "prelu weights"), out);
}

void depthwise_conv2d(const DepthwiseConv2DParams& p, const float* x, const BufferPtr& filter,
                      const DepthwiseOperand& bias, const DepthwiseOperand& prelu, float* out) {
  validate(p);
  const size_t C = static_cast<size_t>(p.channels);
  const size_t CM = C * static_cast<size_t>(p.multiplier);
  const size_t rows_total = static_cast<size_t>(p.batch * p.out_h);
  if (rows_total == 0 || p.out_w == 0 || CM == 0) return;
  check(filter->bytes() >= static_cast<size_t>(p.filter_h * p.filter_w) * CM * sizeof(float),
        "depthwise_conv2d: filter buffer too small");
  const bool uses_prelu = p.activation == Activation::kPrelu;
  check(!uses_prelu || prelu.data != nullptr, "depthwise_conv2d: prelu activation needs weights");
  // Per-channel operands go into the row kernels' epilogue (a stride-0 scalar expanded to a vector);
  // any other broadcast runs as a pass over each row after the kernel.
  const bool fused = (bias.data == nullptr || bias.per_channel()) && (!uses_prelu || prelu.per_channel());
  std::vector<float> bias_full, prelu_full;
  auto channel_vector = [CM](const DepthwiseOperand& o, std::vector<float>& full) -> const float* {
    if (o.data == nullptr) return nullptr;
    if (o.strides[3] == 1) return o.data;
    full.assign(CM, 0.f);
    for (size_t c = 0; c < CM; ++c) full[c] = o.data[c * static_cast<size_t>(o.strides[3])];
    return full.data();
  };
  const float* b = fused ? channel_vector(bias, bias_full) : nullptr;
  const float* pr = fused && uses_prelu ? channel_vector(prelu, prelu_full) : nullptr;
  DepthwiseConv2DParams kp = p;
  if (!fused) kp.activation = Activation::kLinear;

  DepthwiseRowPlan plan = plan_depthwise_rows(kp, filter, active_isa());
  std::vector<float> bias_scaled(plan.swish_scaled && b != nullptr ? CM : 0);
  DepthwiseRowPlan unscaled;
  b = depthwise_swish_bias(kp, plan, filter, b, bias_scaled.data(), &unscaled);
  if (unscaled.kernel != nullptr) plan = unscaled;
  const size_t kh = static_cast<size_t>(p.filter_h);
  const size_t in_row = static_cast<size_t>(p.in_w) * C;
  const size_t out_row = static_cast<size_t>(p.out_w) * CM;
  const size_t work_per_row = out_row * static_cast<size_t>(p.filter_h * p.filter_w);
  const size_t grain = std::max<size_t>(1, 16384 / std::max<size_t>(1, work_per_row));

  // Operands that broadcast in other ways than per channel, applied after the kernel (bias, activation).
  auto finish_row = [&](size_t r) {
    const size_t n = r / static_cast<size_t>(p.out_h);
    const int64_t oy = static_cast<int64_t>(r % static_cast<size_t>(p.out_h));
    float* o = out + r * out_row;
    for (size_t ox = 0; ox < static_cast<size_t>(p.out_w); ++ox) {
      for (size_t c = 0; c < CM; ++c, ++o) {
        auto index = [&](const DepthwiseOperand& d) {
          return static_cast<size_t>(static_cast<int64_t>(n) * d.strides[0] + oy * d.strides[1] +
                                     static_cast<int64_t>(ox) * d.strides[2] + static_cast<int64_t>(c) * d.strides[3]);
        };
        float v = *o;
        if (bias.data) v += bias.data[index(bias)];
        *o = apply_activation(v, p.activation, p.leakyrelu_alpha, uses_prelu ? prelu.data[index(prelu)] : 0.f);
      }
    }
  };

  const size_t out_h = static_cast<size_t>(p.out_h);
  parallel_for(rows_total, grain, [&](size_t begin, size_t end) {
    // Room for a row pair's input rows (kernel_h + stride; pairs run only where the plan allows).
    std::vector<const float*> rows(kh + static_cast<size_t>(p.stride_h));
    dwconv::RowArgs a = depthwise_row_args(kp, plan, b, pr);
    a.rows = rows.data();
    for (size_t r = begin; r < end;) {
      const size_t n = r / out_h;
      const int64_t oy = static_cast<int64_t>(r % out_h);
      const bool pair = plan.row_pairs && r + 1 < end && (r + 1) / out_h == n;
      const float* image = x + n * static_cast<size_t>(p.in_h) * in_row;
      const size_t input_rows = pair ? kh + static_cast<size_t>(p.stride_h) : kh;
      for (size_t ky = 0; ky < input_rows; ++ky) {
        const int64_t iy = oy * p.stride_h - p.pad_top + static_cast<int64_t>(ky) * p.dilation_h;
        rows[ky] = (iy >= 0 && iy < p.in_h) ? image + static_cast<size_t>(iy) * in_row : nullptr;
      }
      a.out = out + r * out_row;
      a.out_next = pair ? a.out + out_row : nullptr;
      plan.kernel(a);
      const size_t done = pair ? 2 : 1;
      if (!fused) {
        for (size_t i = 0; i < done; ++i) finish_row(r + i);
      }
      r += done;
    }
  });
}

}  // namespace effnet
