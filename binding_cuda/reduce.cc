// Reduction entries of the CUDA addon (same options as binding/reduce.cc).
#include "args.h"
#include "families.h"
#include "registry.h"

namespace cuda_binding {

void init_reduce(Napi::Env env, Napi::Object exports) {}

}  // namespace cuda_binding
