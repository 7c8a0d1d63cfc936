// The options of FusedBatchNorm, read once for both addons. `Args` is BasicArgs<Registry> (options.h),
// `Operand` the engine's {data, size} struct of one cyclically indexed parameter.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace binding {

template <typename Operand, typename Args>
struct BatchNormOptions {
  size_t size = 0;
  const float* x = nullptr;
  float* out = nullptr;
  Operand mean, variance, offset, scale;  // offset and scale may be absent (data == nullptr)
  double epsilon = 0.001;
  BufferList<Args> keep;
};

// x, out, mean, variance (buffer ids), size, meanSize, varianceSize; optional offset + offsetSize,
// scale + scaleSize; varianceEpsilon (default 0.001).
template <typename Operand, typename Args>
BatchNormOptions<Operand, Args> read_batch_norm(const Args& args) {
  BatchNormOptions<Operand, Args> o;
  o.size = args.size("size");
  auto operand = [&](const char* key, const char* size_key) {
    Operand p;
    if (!args.has(key)) return p;
    const int64_t s = args.integer(size_key);
    if (s < 1) args.fail(std::string("'") + key + "' must have at least one value");
    p.size = static_cast<size_t>(s);
    p.data = args.template data<float>(key, p.size, effnet::DType::kFloat32, o.keep);
    return p;
  };
  o.x = args.template data<float>("x", o.size, effnet::DType::kFloat32, o.keep);
  o.out = args.template data<float>("out", o.size, effnet::DType::kFloat32, o.keep);
  o.mean = operand("mean", "meanSize");
  o.variance = operand("variance", "varianceSize");
  if (o.mean.data == nullptr || o.variance.data == nullptr) args.fail("mean and variance are required");
  o.offset = operand("offset", "offsetSize");
  o.scale = operand("scale", "scaleSize");
  o.epsilon = args.number_or("varianceEpsilon", 0.001);
  return o;
}

}  // namespace binding
