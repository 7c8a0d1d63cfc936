// Select (tf.where with three operands): out[i] = cond == 1 ? t[i] : e[i]; a rank-1 condition picks
// whole rows. Values are converted to the output's dtype with typed-array semantics.
#include "common.cuh"

namespace effnet {
namespace cuda {
namespace {

__global__ void select_kernel(const void* cond, DType ct, size_t inner, const void* t, DType tt, const void* e,
                              DType et, void* out, DType ot, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const bool take_t = load_as_double(cond, ct, i / inner) == 1.0;
    store_from_double(take_t ? load_as_double(t, tt, i) : load_as_double(e, et, i), out, ot, i);
  }
}

}  // namespace

void select(const void* cond, DType ct, size_t cond_size, const void* t, DType tt, const void* e, DType et, void* out,
            DType ot, size_t n_out) {
  if (n_out == 0) return;
  if (cond_size == 0 || n_out % cond_size != 0) throw Error("Select: condition size does not divide the output size");
  select_kernel<<<blocks_for(n_out), kThreads, 0, stream()>>>(cond, ct, n_out / cond_size, t, tt, e, et, out, ot, n_out);
  CUDA_CHECK_LAUNCH("select");
}

}  // namespace cuda
}  // namespace effnet
