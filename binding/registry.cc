#include "registry.h"

#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "effnet/common.h"
#include "effnet/packed_cache.h"
#include "env_owner.h"

namespace binding {
namespace {
struct Entry {
  effnet::BufferPtr buffer;
  uint32_t owner = 0;          // the environment that made it (binding/env_owner.h)
  uint32_t pins = 0;
  bool released = false;     // freed by JavaScript while pinned: erased at the last unpin
  bool written_whole = false;  // an op has taken it as an output it writes entirely
  bool zero_pending = false;   // reads as zeros, not yet filled (see registry_add)
};
std::mutex g_mutex;
std::unordered_map<uint32_t, Entry> g_buffers;
uint32_t g_next_id = 1;

// Erases an entry (the caller holds the mutex) and returns its buffer, to be let go outside the lock.
effnet::BufferPtr erase_locked(std::unordered_map<uint32_t, Entry>::iterator it) {
  effnet::BufferPtr buffer = std::move(it->second.buffer);
  g_buffers.erase(it);
  return buffer;
}

// The entry of `id` (the caller holds the mutex); throws effnet::Error naming the id when there is none.
Entry& entry_locked(uint32_t id) {
  auto it = g_buffers.find(id);
  if (it == g_buffers.end()) {
    throw effnet::Error("no native buffer with id " + std::to_string(id) + " (was the tensor disposed?)");
  }
  return it->second;
}

// Zero-fills the buffer of `e` if its fill is still pending (the caller holds the mutex, so two ops
// taking it at once cannot both fill it, or one read it half-filled).
void fill_pending_locked(Entry& e) {
  if (!e.zero_pending) return;
  if (e.buffer->bytes() > 0) std::memset(e.buffer->data(), 0, e.buffer->bytes());
  e.zero_pending = false;
}

void forget(const effnet::BufferPtr& removed) {
  // Weights packed from this buffer are of no further use once nothing can name it.
  if (removed != nullptr) effnet::packed_cache_forget(removed.get());
}
}  // namespace

uint32_t registry_add(effnet::BufferPtr buffer, uint32_t owner, bool zero_on_first_use) {
  std::lock_guard<std::mutex> lock(g_mutex);
  uint32_t id = g_next_id++;
  if (g_next_id == 0) g_next_id = 1;
  Entry entry{std::move(buffer)};
  entry.owner = owner;
  entry.zero_pending = zero_on_first_use;
  g_buffers.emplace(id, std::move(entry));
  return id;
}

effnet::BufferPtr registry_get(uint32_t id) {
  std::lock_guard<std::mutex> lock(g_mutex);
  Entry& e = entry_locked(id);
  fill_pending_locked(e);
  return e.buffer;
}

effnet::BufferPtr registry_get_for_overwrite(uint32_t id, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  Entry& e = entry_locked(id);
  if (bytes == e.buffer->bytes()) {
    e.written_whole = true;
    e.zero_pending = false;
  }
  fill_pending_locked(e);
  return e.buffer;
}

bool registry_written_whole(uint32_t id) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_buffers.find(id);
  return it != g_buffers.end() && it->second.written_whole;
}

bool registry_remove(uint32_t id) {
  effnet::BufferPtr removed;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_buffers.find(id);
    if (it == g_buffers.end() || it->second.released) return false;
    if (it->second.pins > 0) {
      it->second.released = true;
      return true;
    }
    removed = erase_locked(it);
  }
  forget(removed);
  return true;
}

bool registry_pin(uint32_t id) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_buffers.find(id);
  if (it == g_buffers.end() || it->second.released) return false;
  ++it->second.pins;
  return true;
}

void registry_unpin(uint32_t id) {
  effnet::BufferPtr removed;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_buffers.find(id);
    if (it == g_buffers.end() || it->second.pins == 0) return;
    if (--it->second.pins == 0 && it->second.released) removed = erase_locked(it);
  }
  forget(removed);
}

void registry_rebind(uint32_t id, effnet::BufferPtr buffer) {
  effnet::BufferPtr previous;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    Entry& e = entry_locked(id);
    previous = std::move(e.buffer);
    e.buffer = std::move(buffer);
    e.zero_pending = false;  // the callers took `buffer` through registry_get, which filled it
  }
  forget(previous);
}

size_t registry_size() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_buffers.size();
}

size_t registry_release_owner(uint32_t owner) {
  std::vector<effnet::BufferPtr> removed;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    erase_owned(g_buffers, owner, [](const Entry& e) { return e.owner; },
                [&](Entry& e) { removed.push_back(std::move(e.buffer)); });
  }
  for (const effnet::BufferPtr& b : removed) forget(b);
  return removed.size();
}

}  // namespace binding
