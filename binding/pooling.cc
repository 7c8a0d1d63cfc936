// AvgPool and MaxPool entries: unpack the options, call the engine.
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "effnet/pooling.h"
#include "families.h"
#include "prepared.h"
#include "shape_options.h"

namespace binding {
namespace {

// Options: x, out (buffer ids); batch, inH, inW, channels, filterH, filterW, strideH, strideW,
// padTop, padLeft, outH, outW.
template <effnet::PoolType kType>
PreparedCall PreparePool(const Args& args) {
  const char* op = args.op();
  effnet::Pool2DParams p;
  p.type = kType;
  read_pool2d_shape(args, p);
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, p.channels}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, p.channels}, op);
  std::vector<effnet::BufferPtr> keep;
  const float* x = args.data<float>("x", x_n, effnet::DType::kFloat32, keep);
  float* out = args.output<float>("out", o_n, effnet::DType::kFloat32, keep);  // every element written
  const std::string name = op;
  return [p, keep = std::move(keep), x, out, name]() {
    try {
      effnet::pool2d(p, x, out);
    } catch (const effnet::Error& e) {
      throw effnet::Error(name + ": " + e.what());
    }
  };
}

}  // namespace

void init_pooling(Napi::Env env, Napi::Object exports) {
  export_prepared_entry(env, exports, "maxPool", "MaxPool", PreparePool<effnet::PoolType::kMax>);
  export_prepared_entry(env, exports, "avgPool", "AvgPool", PreparePool<effnet::PoolType::kAvg>);
}

}  // namespace binding
