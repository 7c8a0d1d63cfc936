#include "effnet/packed_cache.h"

#include <map>
#include <utility>

namespace effnet {
namespace {

struct Entry {
  std::weak_ptr<Buffer> source;
  BufferPtr packed;
};

std::mutex g_mutex;
// Keyed by the source's address and the layout; the weak pointer tells whether that address still
// holds the same buffer (a freed buffer's address can be reused by a new one).
std::map<std::pair<const Buffer*, std::string>, Entry> g_entries;

void drop_expired_locked() {
  for (auto it = g_entries.begin(); it != g_entries.end();) {
    if (it->second.source.expired()) it = g_entries.erase(it);
    else ++it;
  }
}

}  // namespace

BufferPtr packed_for(const BufferPtr& source, const std::string& layout, const std::function<BufferPtr()>& pack) {
  const auto key = std::make_pair(static_cast<const Buffer*>(source.get()), layout);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_entries.find(key);
    if (it != g_entries.end()) {
      BufferPtr alive = it->second.source.lock();
      if (alive == source) return it->second.packed;
      g_entries.erase(it);
    }
  }
  BufferPtr packed = pack();  // outside the lock: packing can be slow
  std::lock_guard<std::mutex> lock(g_mutex);
  drop_expired_locked();
  g_entries[key] = Entry{source, packed};
  return packed;
}

size_t packed_cache_entries() {
  std::lock_guard<std::mutex> lock(g_mutex);
  drop_expired_locked();
  return g_entries.size();
}

size_t packed_cache_bytes() {
  std::lock_guard<std::mutex> lock(g_mutex);
  drop_expired_locked();
  size_t total = 0;
  for (const auto& kv : g_entries) total += kv.second.packed->bytes();
  return total;
}

void packed_cache_forget(const Buffer* source) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_entries.lower_bound(std::make_pair(source, std::string()));
  while (it != g_entries.end() && it->first.first == source) it = g_entries.erase(it);
}

void packed_cache_clear() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_entries.clear();
}

}  // namespace effnet
