// The CPU addon's options reader: buffers are native buffers of this addon's registry.
#pragma once
#include "effnet/buffer.h"
#include "options.h"
#include "registry.h"

namespace binding {

struct CpuRegistry {
  using Ptr = effnet::BufferPtr;
  static Ptr get(uint32_t id) { return registry_get(id); }
  static Ptr get_for_overwrite(uint32_t id, size_t bytes) { return registry_get_for_overwrite(id, bytes); }
};

using Args = BasicArgs<CpuRegistry>;

}  // namespace binding
