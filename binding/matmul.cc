// BatchMatMul and _FusedMatMul entries: unpack and check the options, then call effnet::batch_matmul.
#include <memory>
#include <utility>
#include <vector>

#include "args.h"
#include "effnet/matmul.h"
#include "families.h"
#include "fused_epilogue.h"
#include "prepared.h"
#include "shape_options.h"

namespace binding {
namespace {

// Options: a, b, out (buffer ids); batchA, batchB, batch, m, n, k, transposeA, transposeB,
// outShape (the output's full shape, for broadcasting the epilogue operands), cacheB (b is a
// weight: cache its packed form); fused epilogue options (fused_epilogue.h).
PreparedCall PrepareMatMul(const Args& args) {
  effnet::MatMulShape s;
  const MatMulSizes sizes = read_matmul_shape(args, s);

  std::vector<effnet::BufferPtr> keep;
  const float* a = args.data<float>("a", sizes.a, effnet::DType::kFloat32, keep);
  effnet::BufferPtr b_buf = args.buffer("b", sizes.b, effnet::DType::kFloat32);
  float* out = args.output<float>("out", sizes.out, effnet::DType::kFloat32, keep);  // every element written
  auto ep = std::make_shared<FusedEpilogue>(args, sizes.out_shape, keep);
  const bool cache_b = args.boolean_or("cacheB", false);
  const bool empty = sizes.out == 0;
  // keep holds the buffers a, out and the epilogue's pointers point into.
  return [s, keep = std::move(keep), a, b_buf = std::move(b_buf), out, ep = std::move(ep), cache_b, empty]() {
    if (empty) return;
    ep->before(out);
    effnet::batch_matmul(s, a, static_cast<const float*>(b_buf->data()), cache_b ? b_buf : effnet::BufferPtr(), out,
                         ep->params(), ep->accumulate());
    ep->after(out);
  };
}

}  // namespace

void init_matmul(Napi::Env env, Napi::Object exports) {
  export_prepared_entry(env, exports, "batchMatMul", "BatchMatMul", PrepareMatMul);
  export_prepared_entry(env, exports, "fusedMatMul", "_FusedMatMul", PrepareMatMul);
}

}  // namespace binding
