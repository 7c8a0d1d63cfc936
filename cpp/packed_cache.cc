#include "effnet/packed_cache.h"

#include <atomic>
#include <unordered_map>
#include <utility>
#include <vector>

#include "effnet/common.h"
#include "effnet/weight_arena.h"

namespace effnet {
namespace {

struct Entry {
  std::string layout;
  std::weak_ptr<Buffer> source;
  BufferPtr packed;
};

std::mutex g_mutex;
std::atomic<uint64_t> g_epoch{0};
// Keyed by the source's address, then by layout (a buffer has one layout per kernel that packs it,
// rarely more than two); the weak pointer tells whether that address still holds the same buffer (a
// freed buffer's address can be reused by a new one). Looked up on every op call that uses packed
// weights, so without building or comparing more than the one layout string.
std::unordered_map<const Buffer*, std::vector<Entry>> g_entries;

// Hooks of packed_cache_on_forget (a few, registered once; read without the lock once registered).
constexpr size_t kMaxHooks = 4;
std::atomic<void (*)(const Buffer*)> g_hooks[kMaxHooks];

void run_hooks(const Buffer* source) {
  for (auto& hook : g_hooks) {
    if (auto* f = hook.load()) f(source);
  }
}

void drop_expired_locked() {
  for (auto it = g_entries.begin(); it != g_entries.end();) {
    std::vector<Entry>& list = it->second;
    for (size_t i = 0; i < list.size();) {
      if (list[i].source.expired()) list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
      else ++i;
    }
    if (list.empty()) it = g_entries.erase(it);
    else ++it;
  }
}

// Packed weights go to the weight arena unless EFFNET_HUGE_PAGES=0: then to the C heap, a few percent
// slower, with no huge pages the kernel may have to compact memory for. (Peak memory is about the same
// either way: the arena gives the heap's free pages back as it grows.)
bool packed_on_huge_pages() { return weight_arena::huge_pages_enabled(); }

}  // namespace

BufferPtr packed_buffer(size_t bytes) {
  return std::make_shared<Buffer>(bytes, Buffer::Init::kZero,
                                  packed_on_huge_pages() ? Buffer::Memory::kHugePages : Buffer::Memory::kHeap);
}

BufferPtr packed_for(const BufferPtr& source, const std::string& layout, const std::function<BufferPtr()>& pack) {
  const Buffer* address = source.get();
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_entries.find(address);
    if (it != g_entries.end()) {
      std::vector<Entry>& list = it->second;
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].layout != layout) continue;
        BufferPtr alive = list[i].source.lock();
        if (alive == source) return list[i].packed;
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
        g_epoch.fetch_add(1);
        break;
      }
    }
  }
  BufferPtr packed = pack();  // outside the lock: packing can be slow
  std::lock_guard<std::mutex> lock(g_mutex);
  source->mark_packed_source();
  drop_expired_locked();
  std::vector<Entry>& list = g_entries[address];
  for (Entry& e : list) {
    if (e.layout == layout) {  // packed meanwhile by another thread: keep one
      e = Entry{layout, source, packed};
      return packed;
    }
  }
  list.push_back(Entry{layout, source, packed});
  return packed;
}

size_t packed_cache_entries() {
  std::lock_guard<std::mutex> lock(g_mutex);
  drop_expired_locked();
  size_t total = 0;
  for (const auto& kv : g_entries) total += kv.second.size();
  return total;
}

size_t packed_cache_bytes() {
  std::lock_guard<std::mutex> lock(g_mutex);
  drop_expired_locked();
  size_t total = 0;
  for (const auto& kv : g_entries) {
    for (const Entry& e : kv.second) total += e.packed->bytes();
  }
  return total;
}

void packed_cache_forget(const Buffer* source) {
  if (source == nullptr || !source->packed_source()) return;  // nothing was packed from it
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_entries.erase(source) > 0) g_epoch.fetch_add(1);
  }
  run_hooks(source);
}

void packed_cache_clear() {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_entries.clear();
    g_epoch.fetch_add(1);
  }
  run_hooks(nullptr);
}

void packed_cache_on_forget(void (*hook)(const Buffer* source)) {
  for (auto& slot : g_hooks) {
    void (*expected)(const Buffer*) = nullptr;
    if (slot.load() == hook || slot.compare_exchange_strong(expected, hook)) return;
  }
  throw Error("packed_cache_on_forget: too many hooks");
}

uint64_t packed_cache_epoch() { return g_epoch.load(); }

}  // namespace effnet
