// Cycles per 16 outputs (an AVX-512 vector) of a depthwise row kernel, hot: rows as a fused MBConv block
// hands them over (in L1/L2, 64-byte aligned), the scaled swish, row pairs and channel sums as the block
// asks for them.
//
// Not part of the package build. After `npm install` (which builds build/libeffnet_cpu.a):
//   g++ -O2 -std=c++17 -Icpp/include -Icpp bench/pipes/dwconv-rows.cc build/libeffnet_cpu.a -lpthread -o /tmp/dwr
//   taskset -c 0 /tmp/dwr WIDTH CHANNELS KERNEL STRIDE [PAIRS=1] [SUMS=1] [ISA=avx512|avx2]
// e.g. `/tmp/dwr 15 672 5 1` (B1's 15x15 blocks). Cycles come from the time at the core clock given
// by EFFNET_GHZ (default 3.55); the floor beside them counts the taps' FMAs at two a cycle and a swish at 3.
// EFFNET_PADDING_ROWS=TOP,BOTTOM makes that many of the input rows padding rows (a map's first or last rows).
// One placement can mislead: at 120 wide, 16 channels, 3x3 the channel sums' vector below conflicted with the
// rows (19.7-20.7 cycles, 11.6-12.0 with the sums in another buffer, 2026-12-01, Zen 5), so check an outlier
// against a neighbouring width or channel count.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "effnet/buffer.h"
#include "effnet/depthwise.h"

using namespace effnet;

namespace {

float* aligned_floats(size_t n) {
  auto* p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<float>(std::rand() % 1000) / 1000.f - 0.5f;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: dwconv-rows WIDTH CHANNELS KERNEL STRIDE [PAIRS=1] [SUMS=1] [ISA=avx512|avx2]\n");
    return 2;
  }
  const size_t width = std::strtoul(argv[1], nullptr, 10), channels = std::strtoul(argv[2], nullptr, 10);
  const size_t k = std::strtoul(argv[3], nullptr, 10), stride = std::strtoul(argv[4], nullptr, 10);
  const bool pairs = argc <= 5 || std::atoi(argv[5]) != 0;
  const bool sums = argc <= 6 || std::atoi(argv[6]) != 0;
  const Isa isa = argc > 7 && std::strcmp(argv[7], "avx2") == 0 ? Isa::kAvx2 : Isa::kAvx512;
  const double ghz = std::getenv("EFFNET_GHZ") ? std::atof(std::getenv("EFFNET_GHZ")) : 3.55;

  DepthwiseConv2DParams p;
  p.in_h = 64;
  p.in_w = static_cast<int64_t>(width);
  p.channels = static_cast<int64_t>(channels);
  p.filter_h = p.filter_w = static_cast<int64_t>(k);
  p.stride_h = p.stride_w = static_cast<int64_t>(stride);
  p.pad_top = p.pad_left = static_cast<int64_t>((k - 1) / 2);
  p.out_w = static_cast<int64_t>((width + stride - 1) / stride);
  p.out_h = (p.in_h + p.stride_h - 1) / p.stride_h;
  p.activation = Activation::kSwish;

  auto filter = std::make_shared<Buffer>(k * k * channels * sizeof(float), Buffer::Init::kZero);
  auto* f = static_cast<float*>(filter->data());
  for (size_t i = 0; i < k * k * channels; ++i) f[i] = (static_cast<float>(std::rand() % 1000) / 1000.f - 0.5f) * 0.3f;
  const DepthwiseRowPlan plan = plan_depthwise_rows(p, filter, isa);
  if (pairs && !plan.row_pairs) std::fprintf(stderr, "note: %s runs rows one at a time\n", plan.name);
  std::vector<float> bias(channels, 0.1f), scaled_bias(channels);
  DepthwiseRowPlan unscaled;
  const float* b = depthwise_swish_bias(p, plan, filter, bias.data(), scaled_bias.data(), &unscaled);

  std::vector<const float*> rows;
  for (size_t i = 0; i < k + stride; ++i) rows.push_back(aligned_floats(width * channels + 64));
  // EFFNET_PADDING_ROWS=TOP,BOTTOM: that many input rows at either end are padding (null), as at a map's edges.
  if (const char* pad = std::getenv("EFFNET_PADDING_ROWS")) {
    size_t top = 0, bottom = 0;
    if (std::sscanf(pad, "%zu,%zu", &top, &bottom) != 2 || top + bottom >= rows.size()) {
      std::fprintf(stderr, "EFFNET_PADDING_ROWS: expected TOP,BOTTOM with fewer than %zu rows in all, got '%s'\n",
                   rows.size(), pad);
      return 2;
    }
    for (size_t i = 0; i < top; ++i) rows[i] = nullptr;
    for (size_t i = 0; i < bottom; ++i) rows[rows.size() - 1 - i] = nullptr;
  }
  float* out = aligned_floats(2 * static_cast<size_t>(p.out_w) * channels + 64);
  std::vector<float> channel_sums(channels + 16);
  dwconv::RowArgs a = depthwise_row_args(p, plan, b, nullptr);
  a.rows = rows.data();
  a.out = out;
  a.out_next = pairs && plan.row_pairs ? out + p.out_w * channels : nullptr;
  a.out_stride = channels;
  a.channels = channels;
  a.channel_sums = sums && plan.channel_sums ? channel_sums.data() : nullptr;

  std::vector<double> us;
  for (int r = 0; r < 5000; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    plan.kernel(a);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  const double t = us[us.size() / 10];  // 10th percentile: the host's other work shows as a long tail
  const double vectors = (a.out_next ? 2.0 : 1.0) * static_cast<double>(p.out_w * channels) / 16.0;
  const double floor = static_cast<double>(k * k) / 2.0 + 3.0;
  std::printf("%s width %zu, %zu channels, %s, channel sums %s: %.2f us, %.2f cycles per 16 outputs (floor %.1f)\n",
              plan.name, width, channels, a.out_next ? "row pairs" : "single rows", a.channel_sums ? "on" : "off", t,
              t * ghz * 1e3 / vectors, floor);
  return 0;
}
