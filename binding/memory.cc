// Buffer lifetime and copies, plus the engine's settings (threads, ISA level).
#include <cstring>
#include <vector>

#include "args.h"
#include "buffer_copy.h"
#include "env_owner.h"
#include "effnet/isa.h"
#include "effnet/memory_check.h"
#include "effnet/packed_cache.h"
#include "effnet/threadpool.h"
#include "effnet/weight_arena.h"
#include "families.h"
#include "memory_options.h"
#include "registry.h"
#include "replay_reset.h"

namespace binding {
namespace {

// alloc(bytes) -> id of a buffer that reads as zeros. The fill waits for the buffer's first use, and an op
// that writes all of it (most ops' outputs) skips it.
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  auto buffer = std::make_shared<effnet::Buffer>(alloc_bytes_arg(info), effnet::Buffer::Init::kUnfilled);
  return Napi::Number::New(info.Env(), registry_add(std::move(buffer), env_owner(info.Env()), /*zero_on_first_use=*/true));
}

// create(typedArray) -> id of a new buffer holding a copy of the array's bytes.
Napi::Value Create(const Napi::CallbackInfo& info) {
  const HostBytes array = typed_array_arg(info, 0, "create");
  auto buffer = std::make_shared<effnet::Buffer>(array.bytes, effnet::Buffer::Init::kUnfilled);
  if (array.bytes > 0) std::memcpy(buffer->data(), array.data, array.bytes);
  return Napi::Number::New(info.Env(), registry_add(std::move(buffer), env_owner(info.Env())));
}

// write(id, typedArray): copies the array into the buffer (sizes must match).
Napi::Value Write(const Napi::CallbackInfo& info) {
  const uint32_t id = buffer_id_arg(info, 0, "write");
  const HostBytes array = typed_array_arg(info, 1, "write");
  auto buffer = registry_get_for_overwrite(id, array.bytes);  // no zero fill when the copy covers it
  check_write_size(id, buffer->bytes(), array.bytes);
  if (array.bytes > 0) std::memcpy(buffer->data(), array.data, array.bytes);
  effnet::packed_cache_forget(buffer.get());  // forms packed from the old contents are stale
  return info.Env().Undefined();
}

// read(id) -> ArrayBuffer with a copy of the buffer's bytes.
Napi::Value Read(const Napi::CallbackInfo& info) {
  auto buffer = registry_get(buffer_id_arg(info, 0, "read"));
  effnet::check_allocation(buffer->bytes(), "read: a JavaScript copy");
  Napi::ArrayBuffer out = Napi::ArrayBuffer::New(info.Env(), buffer->bytes());
  if (buffer->bytes() > 0) std::memcpy(out.Data(), buffer->data(), buffer->bytes());
  return out;
}

// free(id) -> whether the id existed.
Napi::Value Free(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), registry_remove(buffer_id_arg(info, 0, "free")));
}

// pin(id) -> whether the id exists: it stays usable until unpin(id), even once freed (captured graphs).
Napi::Value Pin(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), registry_pin(buffer_id_arg(info, 0, "pin")));
}

// unpin(id): undoes one pin; a pinned id already freed goes now.
Napi::Value Unpin(const Napi::CallbackInfo& info) {
  registry_unpin(buffer_id_arg(info, 0, "unpin"));
  return info.Env().Undefined();
}

// copyBuffer(src, dst): dst's bytes = src's (the sizes must match).
Napi::Value CopyBuffer(const Napi::CallbackInfo& info) {
  auto src = registry_get(buffer_id_arg(info, 0, "copyBuffer"));
  auto dst = registry_get(buffer_id_arg(info, 1, "copyBuffer"));
  copy_buffer_bytes("copyBuffer", "the source", "the destination", src, dst);
  return info.Env().Undefined();
}

// shareBuffer(target, source, offset = 0): target names source's memory from byte `offset` on (a multiple
// of 64; target's bytes and their padding must fit in source's); its own memory is freed. For captured
// graphs: intermediates whose uses do not overlap are placed in one block of memory.
Napi::Value ShareBuffer(const Napi::CallbackInfo& info) {
  const uint32_t target = buffer_id_arg(info, 0, "shareBuffer");
  auto source = registry_get(buffer_id_arg(info, 1, "shareBuffer"));
  size_t offset = 0;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    const double v = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : -1;
    if (!(v >= 0) || v != static_cast<double>(static_cast<size_t>(v))) {
      throw effnet::Error("shareBuffer: the offset (argument 3) must be a non-negative integer");
    }
    offset = static_cast<size_t>(v);
  }
  const size_t bytes = registry_get(target)->bytes();
  std::shared_ptr<effnet::Buffer> view;
  try {
    view = std::make_shared<effnet::Buffer>(std::move(source), offset, bytes);
  } catch (const effnet::Error& e) {
    throw effnet::Error(std::string("shareBuffer: ") + e.what());
  }
  registry_rebind(target, std::move(view));
  return info.Env().Undefined();
}

// The ids of an array-of-buffer-ids argument.
std::vector<uint32_t> id_list_arg(const Napi::CallbackInfo& info, size_t index, const char* entry) {
  if (info.Length() <= index || !info[index].IsArray()) {
    throw effnet::Error(std::string(entry) + ": expected an array of buffer ids as argument " + std::to_string(index + 1));
  }
  Napi::Array array = info[index].As<Napi::Array>();
  std::vector<uint32_t> ids;
  ids.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value v = array.Get(i);
    if (!v.IsNumber()) throw effnet::Error(std::string(entry) + ": element " + std::to_string(i) + " is not a buffer id");
    ids.push_back(v.As<Napi::Number>().Uint32Value());
  }
  return ids;
}

// The buffers of an array-of-buffer-ids argument.
std::vector<effnet::BufferPtr> buffer_list_arg(const Napi::CallbackInfo& info, size_t index, const char* entry) {
  std::vector<effnet::BufferPtr> buffers;
  for (uint32_t id : id_list_arg(info, index, entry)) buffers.push_back(registry_get(id));
  return buffers;
}

// resetBuffers(zeroIds, [keepIds]): what a new buffer would be, before a captured graph's replay reaches an
// intermediate's first use: zeroIds are zero-filled, and every buffer of both lists has its padding
// zeroed (memory shared with other intermediates may hold their values) and loses the weights packed
// from it (keepIds are written entirely by that use, so their contents need no zeroing).
Napi::Value ResetBuffers(const Napi::CallbackInfo& info) {
  const std::vector<effnet::BufferPtr> zero = buffer_list_arg(info, 0, "resetBuffers");
  const std::vector<effnet::BufferPtr> keep =
      info.Length() > 1 && !info[1].IsUndefined() ? buffer_list_arg(info, 1, "resetBuffers") : std::vector<effnet::BufferPtr>();
  for (const effnet::BufferPtr& b : zero) reset_for_replay(*b, /*zero_fill=*/true);
  for (const effnet::BufferPtr& b : keep) reset_for_replay(*b, /*zero_fill=*/false);
  return info.Env().Undefined();
}

// writtenWhole([ids]) -> booleans: whether an op has taken each id as an output it writes entirely.
Napi::Value WrittenWhole(const Napi::CallbackInfo& info) {
  const std::vector<uint32_t> ids = id_list_arg(info, 0, "writtenWhole");
  Napi::Array out = Napi::Array::New(info.Env(), ids.size());
  for (uint32_t i = 0; i < ids.size(); ++i) out.Set(i, Napi::Boolean::New(info.Env(), registry_written_whole(ids[i])));
  return out;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", effnet::isa_name(effnet::active_isa()));
  out.Set("detectedIsa", effnet::isa_name(effnet::detected_isa()));
  out.Set("threads", effnet::num_threads());
  out.Set("bytesInUse", static_cast<double>(effnet::Buffer::bytes_in_use()));
  out.Set("buffers", static_cast<double>(registry_size()));
  out.Set("packedBytes", static_cast<double>(effnet::weight_arena::live_bytes()));
  out.Set("packedReservedBytes", static_cast<double>(effnet::weight_arena::reserved_bytes()));
  return out;
}

// setThreads(n) -> n
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw effnet::Error("setThreads: expected a thread count");
  double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 1) || n != static_cast<double>(static_cast<int>(n)) || n > 1024) {
    throw effnet::Error("setThreads: thread count must be an integer from 1 to 1024, got " + std::to_string(n));
  }
  effnet::set_num_threads(static_cast<int>(n));
  return Napi::Number::New(info.Env(), effnet::num_threads());
}

// setIsa('portable' | 'avx2' | 'avx512') -> the level in effect (never above the CPU's).
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  static constexpr effnet::Isa kLevels[] = {effnet::Isa::kPortable, effnet::Isa::kAvx2, effnet::Isa::kAvx512};
  const effnet::Isa wanted = kLevels[choice_arg(info[0], "setIsa", "ISA level", {"portable", "avx2", "avx512"})];
  return Napi::String::New(info.Env(), effnet::isa_name(effnet::set_isa_limit(wanted)));
}

}  // namespace

void init_memory(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "alloc", Alloc);
  export_entry(env, exports, "create", Create);
  export_entry(env, exports, "write", Write);
  export_entry(env, exports, "read", Read);
  export_entry(env, exports, "free", Free);
  export_entry(env, exports, "pin", Pin);
  export_entry(env, exports, "unpin", Unpin);
  export_entry(env, exports, "copyBuffer", CopyBuffer);
  export_entry(env, exports, "shareBuffer", ShareBuffer);
  export_entry(env, exports, "resetBuffers", ResetBuffers);
  export_entry(env, exports, "writtenWhole", WrittenWhole);
  export_entry(env, exports, "info", Info);
  export_entry(env, exports, "setThreads", SetThreads);
  export_entry(env, exports, "setIsa", SetIsa);
}

}  // namespace binding
