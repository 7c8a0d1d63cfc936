// EffnetHead entry (the fused EfficientNet head): unpack the options, call the engine.
#include <utility>

#include "args.h"
#include "effnet/head.h"
#include "families.h"
#include "head_options.h"
#include "prepared.h"

namespace binding {
namespace {

// Options: binding/head_options.h (read_head_params, read_head_buffers).
PreparedCall PrepareHead(const Args& args) {
  const effnet::HeadParams p = read_head_params(args);
  HeadBuffers<Args> b = read_head_buffers(args, p);
  auto f32 = [](const effnet::BufferPtr& buffer) { return static_cast<const float*>(buffer->data()); };
  effnet::HeadWeights w;
  w.conv_kernel = b.conv_kernel;
  w.conv_bias = f32(b.conv_bias);
  w.dense_kernel = b.dense_kernel;
  w.dense_bias = f32(b.dense_bias);
  // b holds the buffers whose data w's bias pointers point into.
  return [p, b = std::move(b), w = std::move(w)]() {
    effnet::head(p, static_cast<const float*>(b.x->data()), w, static_cast<float*>(b.out->data()));
  };
}

}  // namespace

void init_head(Napi::Env env, Napi::Object exports) { export_prepared_entry(env, exports, "head", "EffnetHead", PrepareHead); }

}  // namespace binding
