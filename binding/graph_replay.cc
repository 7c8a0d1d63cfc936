// Compiled replays of captured CPU graphs (src/cpu_graph.ts): where every recorded call's entry has a
// preparer (binding/prepared.h), the calls are prepared once and a replay runs them from here, with the
// resets before each, without reading any options object or looking up any buffer id again.
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "buffer_copy.h"
#include "env_owner.h"
#include "families.h"
#include "graph_replay.h"
#include "memory_options.h"
#include "prepared.h"
#include "registry.h"
#include "replay_reset.h"

namespace binding {
namespace {

// What a recorded call needs before it runs (as resetBuffers does it) and the call itself.
struct Step {
  std::vector<effnet::BufferPtr> zero;  // zero-filled
  std::vector<effnet::BufferPtr> keep;  // written whole by the call
  PreparedCall call;
};

struct CompiledGraph {
  std::vector<Step> steps;
  uint32_t owner = 0;  // the environment that compiled it (binding/env_owner.h)
};

std::mutex g_mutex;
std::unordered_map<uint32_t, std::shared_ptr<const CompiledGraph>> g_graphs;
uint32_t g_next_id = 1;

std::vector<effnet::BufferPtr> buffers_of(const Napi::Value& list, const std::string& what) {
  if (!list.IsArray()) throw effnet::Error("compileGraph: " + what + " must be an array of buffer ids");
  Napi::Array a = list.As<Napi::Array>();
  std::vector<effnet::BufferPtr> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value v = a.Get(i);
    if (!v.IsNumber()) throw effnet::Error("compileGraph: " + what + " must be an array of buffer ids");
    out.push_back(registry_get(v.As<Napi::Number>().Uint32Value()));
  }
  return out;
}

Napi::Array array_arg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsArray()) {
    throw effnet::Error(std::string("compileGraph: expected ") + what + " as argument " + std::to_string(index + 1));
  }
  return info[index].As<Napi::Array>();
}

// compileGraph(entries, options, zeroIds, keepIds) -> id, or null when an entry has no preparer.
// entries[i] is the name of call i's entry, options[i] its options, zeroIds[i] / keepIds[i] the
// buffers reset before it (see resetBuffers).
Napi::Value CompileGraph(const Napi::CallbackInfo& info) {
  Napi::Array entries = array_arg(info, 0, "an array of entry names");
  Napi::Array options = array_arg(info, 1, "an array of options objects");
  Napi::Array zero = array_arg(info, 2, "an array of buffer-id arrays (zeroIds)");
  Napi::Array keep = array_arg(info, 3, "an array of buffer-id arrays (keepIds)");
  const uint32_t n = entries.Length();
  if (options.Length() != n || zero.Length() != n || keep.Length() != n) {
    throw effnet::Error("compileGraph: entries, options, zeroIds and keepIds must have the same length");
  }
  auto graph = std::make_shared<CompiledGraph>();
  graph->owner = env_owner(info.Env());
  graph->steps.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    Napi::Value name = entries.Get(i);
    if (!name.IsString()) throw effnet::Error("compileGraph: entries[" + std::to_string(i) + "] is not a string");
    Preparer prepare = nullptr;
    const char* op = nullptr;
    if (!find_preparer(name.As<Napi::String>().Utf8Value(), &prepare, &op)) return info.Env().Null();
    Napi::Value o = options.Get(i);
    if (!o.IsObject()) throw effnet::Error("compileGraph: options[" + std::to_string(i) + "] is not an object");
    Step step;
    step.zero = buffers_of(zero.Get(i), "zeroIds[" + std::to_string(i) + "]");
    step.keep = buffers_of(keep.Get(i), "keepIds[" + std::to_string(i) + "]");
    step.call = prepare(Args(o.As<Napi::Object>(), op));
    graph->steps.push_back(std::move(step));
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  const uint32_t id = g_next_id++;
  if (g_next_id == 0) g_next_id = 1;
  g_graphs.emplace(id, std::move(graph));
  return Napi::Number::New(info.Env(), id);
}

std::shared_ptr<const CompiledGraph> graph_arg(const Napi::CallbackInfo& info, const char* entry) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw effnet::Error(std::string(entry) + ": expected a compiled graph id");
  const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_graphs.find(id);
  if (it == g_graphs.end()) throw effnet::Error(std::string(entry) + ": no compiled graph with id " + std::to_string(id));
  return it->second;
}

// Runs the compiled calls in order, each after its resets.
void replay(const CompiledGraph& graph) {
  for (const Step& step : graph.steps) {
    for (const effnet::BufferPtr& b : step.zero) reset_for_replay(*b, /*zero_fill=*/true);
    for (const effnet::BufferPtr& b : step.keep) reset_for_replay(*b, /*zero_fill=*/false);
    step.call();
  }
}

// runGraph(id, input, graphInput, graphOutput) -> id of a new buffer: input's bytes copied into
// graphInput (the buffer the recorded calls read), the compiled calls run in order, and graphOutput's
// bytes copied into the new buffer. One call where NativeGraph.run made four (copyBuffer, a replay,
// alloc, copyBuffer): after a replay has streamed a model's weights through the caches, each call from
// JavaScript and each table lookup it saves is a round of cache misses. Zen 5, B1 graph replay against
// the four calls, alternating in one process (60 rounds of 20): 7.244 -> 7.235 and 7.427 -> 7.402 ms.
Napi::Value RunGraph(const Napi::CallbackInfo& info) {
  const std::shared_ptr<const CompiledGraph> graph = graph_arg(info, "runGraph");
  const effnet::BufferPtr input = registry_get(buffer_id_arg(info, 1, "runGraph"));
  const effnet::BufferPtr graph_input = registry_get(buffer_id_arg(info, 2, "runGraph"));
  const effnet::BufferPtr graph_output = registry_get(buffer_id_arg(info, 3, "runGraph"));
  copy_buffer_bytes("runGraph", "the input", "the graph's input", input, graph_input);
  replay(*graph);
  auto out = std::make_shared<effnet::Buffer>(graph_output->bytes(), effnet::Buffer::Init::kUnfilled);
  if (out->bytes() > 0) std::memcpy(out->data(), graph_output->data(), out->bytes());
  return Napi::Number::New(info.Env(), registry_add(std::move(out), env_owner(info.Env())));
}

// releaseGraph(id): frees a compiled graph (its hold on the buffers); false when there was none.
Napi::Value ReleaseGraph(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw effnet::Error("releaseGraph: expected a compiled graph id");
  std::shared_ptr<const CompiledGraph> released;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_graphs.find(info[0].As<Napi::Number>().Uint32Value());
    if (it == g_graphs.end()) return Napi::Boolean::New(info.Env(), false);
    released = std::move(it->second);
    g_graphs.erase(it);
  }
  return Napi::Boolean::New(info.Env(), true);  // `released` frees the buffers outside the lock
}

}  // namespace

void graph_replay_release_owner(uint32_t owner) {
  std::vector<std::shared_ptr<const CompiledGraph>> released;  // freed outside the lock
  std::lock_guard<std::mutex> lock(g_mutex);
  erase_owned(g_graphs, owner, [](const std::shared_ptr<const CompiledGraph>& g) { return g->owner; },
              [&](std::shared_ptr<const CompiledGraph>& g) { released.push_back(std::move(g)); });
}

void init_graph_replay(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "compileGraph", CompileGraph);
  export_entry(env, exports, "runGraph", RunGraph);
  export_entry(env, exports, "releaseGraph", ReleaseGraph);
}

}  // namespace binding
