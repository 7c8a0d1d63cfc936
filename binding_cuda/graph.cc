// CUDA graph entries of the CUDA addon (src/cuda_graph.ts): capture the ops a function queues, then
// replay them with one call. Graphs are held in a table of their own, by integer id.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "args.h"
#include "env_owner.h"
#include "effnet_cuda/graph.h"
#include "families.h"
#include "memory_options.h"
#include "registry.h"

namespace cuda_binding {
namespace {

using binding::buffer_id_arg;
using effnet::cuda::Graph;

struct GraphEntry {
  std::shared_ptr<Graph> graph;
  uint32_t owner;  // the environment that captured it (binding/env_owner.h)
};
std::mutex g_mutex;
std::unordered_map<uint32_t, GraphEntry> g_graphs;
uint32_t g_next_graph = 1;

// Argument `index` as a graph id: 0 (which no graph has) when it is not a whole number in [1, 2^32).
uint32_t graph_id_arg(const Napi::CallbackInfo& info, size_t index, const char* entry) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    throw effnet::Error(std::string(entry) + ": expected a graph id as argument " + std::to_string(index + 1));
  }
  const double value = info[index].As<Napi::Number>().DoubleValue();
  const uint32_t id = value >= 1 && value <= 4294967295.0 ? static_cast<uint32_t>(value) : 0;
  return id == value ? id : 0;
}

std::shared_ptr<Graph> graph_arg(const Napi::CallbackInfo& info, size_t index, const char* entry) {
  const uint32_t id = graph_id_arg(info, index, entry);
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_graphs.find(id);
  if (it == g_graphs.end()) {
    throw effnet::Error(std::string(entry) + ": no CUDA graph with id " + info[index].ToString().Utf8Value() +
                        " (was it disposed?)");
  }
  return it->second.graph;
}

// captureBegin(): ops queued from now on (by this thread) are recorded, not run.
Napi::Value CaptureBegin(const Napi::CallbackInfo& info) {
  effnet::cuda::begin_capture();
  return info.Env().Undefined();
}

// captureEnd(inputId, outputId) -> {graph, nodes, poolBytes}: ends the capture and instantiates its
// graph, which replays from the buffer `inputId` (made before the capture) into `outputId`.
Napi::Value CaptureEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  effnet::cuda::DeviceBufferPtr input, output;
  try {
    input = registry_get(buffer_id_arg(info, 0, "captureEnd"));
    output = registry_get(buffer_id_arg(info, 1, "captureEnd"));
  } catch (...) {
    effnet::cuda::abort_capture();
    throw;
  }
  std::shared_ptr<Graph> graph = effnet::cuda::end_capture(input, output);
  const uint32_t owner = binding::env_owner(env);
  uint32_t id;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    id = g_next_graph++;
    if (g_next_graph == 0) g_next_graph = 1;
    g_graphs.emplace(id, GraphEntry{graph, owner});
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("graph", static_cast<double>(id));
  out.Set("nodes", static_cast<double>(graph->nodes()));
  out.Set("poolBytes", static_cast<double>(graph->pool_bytes()));
  return out;
}

// captureAbort() -> whether a capture was in progress; ends it without a graph.
Napi::Value CaptureAbort(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), effnet::cuda::abort_capture());
}

// capturing() -> whether a capture is in progress.
Napi::Value Capturing(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), effnet::cuda::capturing());
}

// graphLaunch(graphId, xId) -> id of a new buffer with the result: copies x into the graph's input,
// replays the graph and copies its output out (queued on the engine's stream; x must have the
// captured input's size). One call per prediction.
Napi::Value GraphLaunch(const Napi::CallbackInfo& info) {
  std::shared_ptr<Graph> graph = graph_arg(info, 0, "graphLaunch");
  effnet::cuda::DeviceBufferPtr x = registry_get(buffer_id_arg(info, 1, "graphLaunch"));
  return Napi::Number::New(info.Env(), registry_add(graph->launch(*x), binding::env_owner(info.Env())));
}

// graphDispose(graphId) -> whether the id existed. The graph's memory returns to the allocator's cache.
Napi::Value GraphDispose(const Napi::CallbackInfo& info) {
  const uint32_t id = graph_id_arg(info, 0, "graphDispose");
  std::shared_ptr<Graph> removed;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_graphs.find(id);
    if (it == g_graphs.end()) return Napi::Boolean::New(info.Env(), false);
    removed = std::move(it->second.graph);
    g_graphs.erase(it);
  }
  removed.reset();  // outside the lock: destroying the graph releases its pool
  return Napi::Boolean::New(info.Env(), true);
}

// graphCount() -> number of live graphs.
Napi::Value GraphCount(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return Napi::Number::New(info.Env(), static_cast<double>(g_graphs.size()));
}

}  // namespace

void graphs_release_owner(uint32_t owner) {
  std::vector<std::shared_ptr<Graph>> released;  // destroyed outside the lock: that releases their pools
  std::lock_guard<std::mutex> lock(g_mutex);
  binding::erase_owned(g_graphs, owner, [](const GraphEntry& e) { return e.owner; },
                       [&](GraphEntry& e) { released.push_back(std::move(e.graph)); });
}

void init_graph(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "captureBegin", CaptureBegin);
  export_entry(env, exports, "captureEnd", CaptureEnd);
  export_entry(env, exports, "captureAbort", CaptureAbort);
  export_entry(env, exports, "capturing", Capturing);
  export_entry(env, exports, "graphLaunch", GraphLaunch);
  export_entry(env, exports, "graphDispose", GraphDispose);
  export_entry(env, exports, "graphCount", GraphCount);
}

}  // namespace cuda_binding
