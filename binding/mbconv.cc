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
  effnet::MBConvWeights w = mbconv_weights(p, b);
  // b holds the buffers whose data w's bias pointers point into.
  // A graph's prepared call keeps its packed weights for all its replays (no packed-weight cache lookups);
  // a call run once looks them up. (Eager calls keep theirs in a prepared block: binding/mbconv_blocks.cc.)
  std::shared_ptr<effnet::MBConvPacked> packed = args.for_replay() ? effnet::mbconv_packed_slot() : nullptr;
  return [p, b = std::move(b), w = std::move(w), packed = std::move(packed)]() {
    effnet::mbconv(p, static_cast<const float*>(b.x->data()), w, static_cast<float*>(b.out->data()), packed.get());
  };
}

// mbconvMayOverwriteInput(options) -> whether the mbconv call with these options may write its output
// over x's memory (effnet::mbconv_output_may_overwrite_input; its buffers are not read): a captured
// graph's planner asks (src/cpu_graph.ts).
Napi::Value MayOverwriteInput(const Napi::CallbackInfo& info) {
  const Args args(info, "EffnetMBConv");
  return Napi::Boolean::New(info.Env(), effnet::mbconv_output_may_overwrite_input(read_mbconv_params(args)));
}

}  // namespace

void init_mbconv(Napi::Env env, Napi::Object exports) {
  export_prepared_entry(env, exports, "mbconv", "EffnetMBConv", PrepareMBConv);
  export_entry(env, exports, "mbconvMayOverwriteInput", MayOverwriteInput);
}

}  // namespace binding
