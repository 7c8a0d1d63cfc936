#include "registry.h"

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "effnet/common.h"
#include "env_owner.h"
#include "effnet_cuda/graph.h"

namespace effnet {
const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kInt32: return "int32";
    case DType::kBool: return "bool";
  }
  return "unknown";
}
}  // namespace effnet

namespace cuda_binding {
namespace {
struct Entry {
  effnet::cuda::DeviceBufferPtr buffer;
  uint32_t owner;  // the environment that made it (binding/env_owner.h)
};
std::mutex g_mutex;
std::unordered_map<uint32_t, Entry> g_buffers;
uint32_t g_next_id = 1;
}  // namespace

uint32_t registry_add(effnet::cuda::DeviceBufferPtr buffer, uint32_t owner) {
  std::lock_guard<std::mutex> lock(g_mutex);
  uint32_t id = g_next_id++;
  if (g_next_id == 0) g_next_id = 1;
  g_buffers.emplace(id, Entry{std::move(buffer), owner});
  return id;
}

namespace {
effnet::cuda::DeviceBufferPtr find_buffer(uint32_t id) {
  effnet::cuda::DeviceBufferPtr buffer;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_buffers.find(id);
    if (it == g_buffers.end()) {
      throw effnet::Error("no CUDA buffer with id " + std::to_string(id) + " (was the tensor disposed?)");
    }
    buffer = it->second.buffer;
  }
  // Every op reaches its buffers through here: a graph being captured holds the ones it may read.
  effnet::cuda::hold_for_capture(buffer);
  return buffer;
}
}  // namespace

effnet::cuda::DeviceBufferPtr registry_get(uint32_t id) {
  effnet::cuda::DeviceBufferPtr buffer = find_buffer(id);
  buffer->ensure_zeroed();
  return buffer;
}

effnet::cuda::DeviceBufferPtr registry_get_for_overwrite(uint32_t id, size_t bytes) {
  effnet::cuda::DeviceBufferPtr buffer = find_buffer(id);
  if (bytes == buffer->bytes()) buffer->overwritten();
  else buffer->ensure_zeroed();
  return buffer;
}

bool registry_remove(uint32_t id) {
  effnet::cuda::DeviceBufferPtr removed;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_buffers.find(id);
    if (it == g_buffers.end()) return false;
    removed = std::move(it->second.buffer);
    g_buffers.erase(it);
  }
  return true;
}

size_t registry_size() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_buffers.size();
}

size_t registry_release_owner(uint32_t owner) {
  std::vector<effnet::cuda::DeviceBufferPtr> removed;  // let go outside the lock
  std::lock_guard<std::mutex> lock(g_mutex);
  binding::erase_owned(g_buffers, owner, [](const Entry& e) { return e.owner; },
                       [&](Entry& e) { removed.push_back(std::move(e.buffer)); });
  return removed.size();
}

}  // namespace cuda_binding
