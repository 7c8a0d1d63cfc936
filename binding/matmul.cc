// BatchMatMul and _FusedMatMul entries: unpack and check the options, then call effnet::batch_matmul.
#include <algorithm>
#include <string>
#include <vector>

#include "args.h"
#include "effnet/matmul.h"
#include "families.h"
#include "fused_epilogue.h"

namespace binding {
namespace {

// Options: a, b, out (buffer ids); batchA, batchB, batch, m, n, k, transposeA, transposeB,
// outShape (the output's full shape, for broadcasting the epilogue operands), cacheB (b is a
// weight: cache its packed form); fused epilogue options (fused_epilogue.h).
Napi::Value RunMatMul(const Napi::CallbackInfo& info, const char* op) {
  Args args(info, op);
  effnet::MatMulShape s;
  const int64_t batch_a = args.integer("batchA"), batch_b = args.integer("batchB"), batch = args.integer("batch");
  const int64_t m = args.integer("m"), n = args.integer("n"), k = args.integer("k");
  if (batch_a < 1 || batch_b < 1 || batch < 1) args.fail("batch sizes must be >= 1");
  if (m < 0 || n < 0 || k < 0) args.fail("negative matrix dimension");
  s.batch_a = static_cast<size_t>(batch_a);
  s.batch_b = static_cast<size_t>(batch_b);
  s.batch = static_cast<size_t>(batch);
  s.m = static_cast<size_t>(m);
  s.n = static_cast<size_t>(n);
  s.k = static_cast<size_t>(k);
  s.transpose_a = args.boolean_or("transposeA", false);
  s.transpose_b = args.boolean_or("transposeB", false);
  const std::vector<int64_t> out_shape = args.integers("outShape");
  const size_t out_elems = element_count({batch, m, n}, op);
  if (element_count(out_shape, op) != out_elems || out_shape.size() < 2 || out_shape.back() != n ||
      out_shape[out_shape.size() - 2] != m) {
    args.fail("outShape does not match batch x m x n");
  }

  std::vector<effnet::BufferPtr> keep;
  const float* a = args.data<float>("a", element_count({batch_a, m, k}, op), effnet::DType::kFloat32, keep);
  effnet::BufferPtr b_buf = args.buffer("b", element_count({batch_b, k, n}, op), effnet::DType::kFloat32);
  float* out = args.data<float>("out", out_elems, effnet::DType::kFloat32, keep);
  FusedEpilogue ep(args, out_shape, keep);
  if (out_elems == 0) return info.Env().Undefined();
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
