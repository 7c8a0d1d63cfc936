// Types shared by every op of the CPU engine. No N-API types below binding/.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace effnet {

// Element types a buffer can hold. The numeric values are part of the binding's contract
// (src/native.ts has the same table).
enum class DType : int32_t { kFloat32 = 0, kInt32 = 1, kBool = 2 };

inline size_t dtype_size(DType t) { return t == DType::kBool ? 1 : 4; }
const char* dtype_name(DType t);

// Every error the engine reports: bad shapes, unsupported attributes, out of memory.
// The binding turns it into a JavaScript Error carrying the message.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws effnet::Error with `message` when `condition` is false.
inline void check(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

// Activations applied in the epilogue of fused kernels (tfjs names in brackets).
enum class Activation : int32_t {
  kLinear = 0,     // 'linear'
  kRelu = 1,       // 'relu'
  kRelu6 = 2,      // 'relu6'
  kElu = 3,        // 'elu'
  kLeakyRelu = 4,  // 'leakyrelu' (uses alpha)
  kPrelu = 5,      // 'prelu' (per-channel weights)
  kSigmoid = 6,    // 'sigmoid'
  kSwish = 7,      // x * sigmoid(x), used by EfficientNet's fused blocks
  // swish(x) of a value that holds y = kSwishInputScale * x: the weights and bias were scaled when
  // packed, which saves the kernels a multiply per vector (fused blocks and vector depthwise kernels;
  // not a tfjs activation, and the binding accepts codes 0-7 only). Where |x| exceeds FLT_MAX / log2(e)
  // (2.36e38) y overflows, and the result is +inf or NaN where x * sigmoid(x) is x or -0.
  kSwishScaled = 8,
};

// -log2(e): swish(x) = x / (1 + 2^y) with y = -log2(e) * x (see kSwishScaled).
constexpr float kSwishInputScale = -1.44269504088896341f;

}  // namespace effnet
