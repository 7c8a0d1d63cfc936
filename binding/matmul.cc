// BatchMatMul and _FusedMatMul entries: unpack and check the options, then call effnet::batch_matmul.
#include <vector>

#include "args.h"
#include "effnet/matmul.h"
#include "families.h"
#include "fused_epilogue.h"
#include "shape_options.h"

namespace binding {
namespace {

// Options: a, b, out (buffer ids); batchA, batchB, batch, m, n, k, transposeA, transposeB,
// outShape (the output's full shape, for broadcasting the epilogue operands), cacheB (b is a
// weight: cache its packed form); fused epilogue options (fused_epilogue.h).
Napi::Value RunMatMul(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  effnet::MatMulShape s;
  const MatMulSizes sizes = read_matmul_shape(args, s);

  std::vector<effnet::BufferPtr> keep;
  const float* a = args.data<float>("a", sizes.a, effnet::DType::kFloat32, keep);
  effnet::BufferPtr b_buf = args.buffer("b", sizes.b, effnet::DType::kFloat32);
  float* out = args.output<float>("out", sizes.out, effnet::DType::kFloat32, keep);  // every element written
  FusedEpilogue ep(args, sizes.out_shape, keep);
  if (sizes.out == 0) return info.Env().Undefined();
  const bool cache_b = args.boolean_or("cacheB", false);
  ep.before(out);
  effnet::batch_matmul(s, a, static_cast<const float*>(b_buf->data()), cache_b ? b_buf : effnet::BufferPtr(), out,
                       ep.params(), ep.accumulate());
  ep.after(out);
  return info.Env().Undefined();
}

Napi::Value BatchMatMul(const Napi::CallbackInfo& info) { return RunMatMul(info, "BatchMatMul"); }
Napi::Value FusedMatMul(const Napi::CallbackInfo& info) { return RunMatMul(info, "_FusedMatMul"); }

}  // namespace

void init_matmul(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "batchMatMul", BatchMatMul);
  export_entry(env, exports, "fusedMatMul", FusedMatMul);
}

}  // namespace binding
