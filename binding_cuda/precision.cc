// The CUDA engine's GEMM precision (effnet_cuda/cuda.h, set_precision): setCudaPrecision(name) sets it
// and returns the previous name; getCudaPrecision() returns it. Names: fp32, tf32, fp16, bf16. Neither
// touches the GPU.
#include <string>

#include "args.h"
#include "families.h"

namespace cuda_binding {
namespace {

Napi::Value SetPrecision(const Napi::CallbackInfo& info) {
  const std::string accepted = effnet::cuda::precision_names();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw effnet::Error("setCudaPrecision: expected a precision name (" + accepted + ")");
  }
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  effnet::cuda::Precision p;
  if (!effnet::cuda::parse_precision(name, &p)) {
    throw effnet::Error("setCudaPrecision: unknown precision '" + name + "'; supported: " + accepted);
  }
  const std::string previous = effnet::cuda::precision_name(effnet::cuda::precision());
  effnet::cuda::set_precision(p);
  return Napi::String::New(info.Env(), previous);
}

Napi::Value GetPrecision(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), effnet::cuda::precision_name(effnet::cuda::precision()));
}

}  // namespace

void init_precision(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "setCudaPrecision", SetPrecision);
  export_entry(env, exports, "getCudaPrecision", GetPrecision);
}

}  // namespace cuda_binding
