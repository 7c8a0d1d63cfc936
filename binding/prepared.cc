#include "prepared.h"

#include <map>
#include <mutex>
#include <utility>

namespace binding {
namespace {

// Filled at module init (one table for all environments: the entries are the same code).
std::mutex g_mutex;
std::map<std::string, std::pair<Preparer, const char*>> g_preparers;

}  // namespace

void export_prepared_entry(Napi::Env env, Napi::Object exports, const char* entry, const char* op, Preparer fn) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_preparers[entry] = {fn, op};
  }
  export_closure(env, exports, entry, [fn, op](const Napi::CallbackInfo& info) {
    fn(Args(info, op))();
    return info.Env().Undefined();
  });
}

bool find_preparer(const std::string& entry, Preparer* fn, const char** op) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_preparers.find(entry);
  if (it == g_preparers.end()) return false;
  *fn = it->second.first;
  *op = it->second.second;
  return true;
}

}  // namespace binding
