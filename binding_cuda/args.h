// The CUDA addon's options reader (binding/options.h): buffers are device buffers of this addon's
// registry.
#pragma once
#include "effnet_cuda/cuda.h"
#include "options.h"
#include "registry.h"

namespace cuda_binding {

struct CudaRegistry {
  using Ptr = effnet::cuda::DeviceBufferPtr;
  static Ptr get(uint32_t id) { return registry_get(id); }
  static Ptr get_for_overwrite(uint32_t id, size_t bytes) { return registry_get_for_overwrite(id, bytes); }
};

using Args = binding::BasicArgs<CudaRegistry>;
using binding::element_count;
using binding::Entry;
using binding::export_entries;
using binding::export_entry;

}  // namespace cuda_binding
