// EffnetMBConv entry (one fused MBConv block): unpack the options, call the engine.
#include <memory>
#include <utility>

#include "args.h"
#include "effnet/mbconv.h"
#include "families.h"
#include "mbconv_options.h"
#include "prepared.h"

namespace binding {
namespace {

// Options: binding/mbconv_options.h (read_mbconv_params, read_mbconv_buffers).
PreparedCall PrepareMBConv(const Args& args) {
  const effnet::MBConvParams p = read_mbconv_params(args);
  MBConvBuffers<Args> b = read_mbconv_buffers(args, p);
  auto f32 = [](const effnet::BufferPtr& buffer) { return static_cast<const float*>(buffer->data()); };
  effnet::MBConvWeights w;
  if (p.has_stem) {
    w.stem_kernel = b.stem_kernel;
    w.stem_bias = f32(b.stem_bias);
  }
  if (p.has_expand) {
    w.expand_kernel = b.expand_kernel;
    w.expand_bias = f32(b.expand_bias);
  }
  w.depthwise_kernel = b.depthwise_kernel;
  w.depthwise_bias = f32(b.depthwise_bias);
  w.se_reduce_kernel = b.se_reduce_kernel;
  w.se_reduce_bias = f32(b.se_reduce_bias);
  w.se_expand_kernel = b.se_expand_kernel;
  w.se_expand_bias = f32(b.se_expand_bias);
  w.project_kernel = b.project_kernel;
  w.project_bias = f32(b.project_bias);
  // b holds the buffers whose data w's bias pointers point into.
  // The packed weights kept between runs skip the packed-weight cache's lookups: a graph's prepared call
  // keeps a slot of its own for all its replays; an eager call gets the one the block's last eager call
  // gave back (while its weights live).
  std::shared_ptr<effnet::MBConvPacked> packed =
      args.for_replay() ? effnet::mbconv_packed_slot() : effnet::mbconv_packed_slot_for(p, w);
  return [p, b = std::move(b), w = std::move(w), packed = std::move(packed)]() {
    effnet::mbconv(p, static_cast<const float*>(b.x->data()), w, static_cast<float*>(b.out->data()), packed.get());
  };
}

}  // namespace

void init_mbconv(Napi::Env env, Napi::Object exports) {
  export_prepared_entry(env, exports, "mbconv", "EffnetMBConv", PrepareMBConv);
}

}  // namespace binding
