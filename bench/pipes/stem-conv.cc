// Hot latency of the stem convs (conv2d: three input channels, stride 2) of EfficientNet-B1, B7 and ResNet-152,
// one thread, with their bias and activation: what conv2d's few-channel path costs (cpp/ops/conv2d.cc,
// segmented_rows and interleaved_rows). Prints the median and the 10th percentile of 60 calls, and the sum of
// the outputs, which two builds of the library must agree on.
//
// Not part of the package build. After `npm install` (which builds build/libeffnet_cpu.a):
//   g++ -O2 -std=c++17 -Icpp/include bench/pipes/stem-conv.cc build/libeffnet_cpu.a -lpthread -o /tmp/stem
//   taskset -c 0 /tmp/stem
// To compare two versions, build the harness against each one's library and run the two by turns.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "effnet/conv.h"

using namespace effnet;

int main() {
  struct Case {
    const char* name;
    int in, kernel, pad, out_channels;
    Activation act;
  };
  const Case cases[] = {
      {"ResNet-152 stem 224, 7x7 s2 -> 64", 224, 7, 3, 64, Activation::kRelu},
      {"B1 stem 240, 3x3 s2 -> 32", 240, 3, 0, 32, Activation::kSwish},
      {"B7 stem 600, 3x3 s2 -> 64", 600, 3, 0, 64, Activation::kSwish},
  };
  std::srand(1);
  for (const Case& c : cases) {
    Conv2DShape s;
    s.batch = 1;
    s.in_h = s.in_w = c.in;
    s.in_c = 3;
    s.out_h = s.out_w = c.in / 2;
    s.out_c = c.out_channels;
    s.filter_h = s.filter_w = c.kernel;
    s.stride_h = s.stride_w = 2;
    s.pad_top = s.pad_left = c.pad;
    const size_t k = static_cast<size_t>(c.kernel * c.kernel * 3);
    auto filter = std::make_shared<Buffer>(k * c.out_channels * sizeof(float), Buffer::Init::kZero);
    float* f = static_cast<float*>(filter->data());
    for (size_t i = 0; i < k * c.out_channels; ++i) f[i] = static_cast<float>(std::rand() % 100) / 100.f - 0.5f;
    std::vector<float> x(static_cast<size_t>(c.in) * c.in * 3);
    std::vector<float> out(static_cast<size_t>(s.out_h) * s.out_w * c.out_channels), bias(c.out_channels, 0.1f);
    for (float& v : x) v = static_cast<float>(std::rand()) / static_cast<float>(RAND_MAX);
    GemmEpilogueParams ep;
    ep.bias = bias.data();
    ep.act = c.act;
    std::vector<double> us;
    for (int i = 0; i < 60; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      conv2d(s, x.data(), filter, f, out.data(), ep, false);
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (float v : out) sum += v;
    std::printf("%-36s %8.1f us median (p10 %8.1f)  output sum %.6g\n", c.name, us[us.size() / 2], us[us.size() / 10],
                sum);
  }
}
