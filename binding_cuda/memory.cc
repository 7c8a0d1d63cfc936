// Buffer lifetime and host <-> device copies of the CUDA addon, device information, and the
// settings entries of the CPU addon (accepted and reported so the two addons share one interface).
#include <memory>
#include <string>

#include "args.h"
#include "env_owner.h"
#include "families.h"
#include "memory_options.h"
#include "registry.h"

namespace cuda_binding {
namespace {

using effnet::cuda::DeviceBuffer;

using binding::buffer_id_arg;

// alloc(bytes) -> id of a zero-filled device buffer (filled before its first read, unless an op's first
// use overwrites it whole: see DeviceBuffer::Zeroing).
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  auto buffer = std::make_shared<DeviceBuffer>(binding::alloc_bytes_arg(info), DeviceBuffer::Zeroing::kBeforeFirstRead);
  return Napi::Number::New(info.Env(), registry_add(std::move(buffer), binding::env_owner(info.Env())));
}

// create(typedArray) -> id of a new device buffer holding a copy of the array's bytes (uploaded now).
Napi::Value Create(const Napi::CallbackInfo& info) {
  const binding::HostBytes array = binding::typed_array_arg(info, 0, "create");
  auto buffer = std::make_shared<DeviceBuffer>(array.bytes, DeviceBuffer::Zeroing::kNone);  // uploaded whole
  effnet::cuda::upload(*buffer, array.data, array.bytes);
  return Napi::Number::New(info.Env(), registry_add(std::move(buffer), binding::env_owner(info.Env())));
}

// write(id, typedArray): uploads the array into the buffer (sizes must match).
Napi::Value Write(const Napi::CallbackInfo& info) {
  const uint32_t id = buffer_id_arg(info, 0, "write");
  const binding::HostBytes array = binding::typed_array_arg(info, 1, "write");
  auto buffer = registry_get_for_overwrite(id, array.bytes);  // written whole once the size checks
  binding::check_write_size(id, buffer->bytes(), array.bytes);
  effnet::cuda::upload(*buffer, array.data, array.bytes);
  return info.Env().Undefined();
}

// read(id) -> ArrayBuffer with a copy of the buffer's bytes (waits for every queued op).
Napi::Value Read(const Napi::CallbackInfo& info) {
  auto buffer = registry_get(buffer_id_arg(info, 0, "read"));
  Napi::ArrayBuffer out = Napi::ArrayBuffer::New(info.Env(), buffer->bytes());
  effnet::cuda::download(*buffer, out.Data(), buffer->bytes());
  return out;
}

// The worker behind readAsync: the copy (and the wait for the ops queued before it) runs on a
// libuv thread into an ArrayBuffer made on the JavaScript thread beforehand; the promise resolves with
// a typed array over it. The device buffer is held until the copy ends, so freeing the id meanwhile
// (disposing the tensor) is safe.
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, effnet::cuda::DeviceBufferPtr buffer, effnet::DType type)
      : Napi::AsyncWorker(env, "effnetReadAsync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        download_(std::make_unique<effnet::cuda::PendingDownload>(std::move(buffer))),
        type_(type) {
    Napi::ArrayBuffer host = Napi::ArrayBuffer::New(env, download_->bytes());
    data_ = host.Data();
    host_ = Napi::Persistent(host);
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      download_->run(data_, download_->bytes());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override {
    download_.reset();
    Napi::Env env = Env();
    Napi::ArrayBuffer host = host_.Value();
    const size_t bytes = host.ByteLength();
    switch (type_) {
      case effnet::DType::kFloat32: deferred_.Resolve(Napi::Float32Array::New(env, bytes / 4, host, 0)); break;
      case effnet::DType::kInt32: deferred_.Resolve(Napi::Int32Array::New(env, bytes / 4, host, 0)); break;
      case effnet::DType::kBool: deferred_.Resolve(Napi::Uint8Array::New(env, bytes, host, 0)); break;
    }
  }

  void OnError(const Napi::Error& error) override {
    download_.reset();
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<effnet::cuda::PendingDownload> download_;
  effnet::DType type_;
  Napi::Reference<Napi::ArrayBuffer> host_;
  void* data_ = nullptr;
};

// readAsync(id, dtype) -> Promise of a Float32Array, Int32Array or Uint8Array (dtype 'float32', 'int32',
// 'bool') with a copy of the buffer's bytes, taken after every op queued before the call. The wait
// and the copy run off the JavaScript thread; CUDA errors reject the promise.
Napi::Value ReadAsync(const Napi::CallbackInfo& info) {
  const uint32_t id = buffer_id_arg(info, 0, "readAsync");
  if (info.Length() < 2 || !info[1].IsString()) {
    throw effnet::Error("readAsync: expected a dtype ('float32', 'int32' or 'bool') as argument 2");
  }
  const std::string name = info[1].As<Napi::String>().Utf8Value();
  effnet::DType type;
  if (name == "float32") type = effnet::DType::kFloat32;
  else if (name == "int32") type = effnet::DType::kInt32;
  else if (name == "bool") type = effnet::DType::kBool;
  else throw effnet::Error("readAsync: unsupported dtype '" + name + "'; supported: float32, int32, bool");
  auto* worker = new ReadWorker(info.Env(), registry_get(id), type);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// free(id) -> whether the id existed.
Napi::Value Free(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), registry_remove(buffer_id_arg(info, 0, "free")));
}

// info(): the CPU addon's fields (isa/threads describe no CPU engine here) plus the allocator's state.
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const effnet::cuda::MemoryStats m = effnet::cuda::memory_stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", "cuda");
  out.Set("detectedIsa", "cuda");
  out.Set("threads", 1);
  out.Set("bytesInUse", static_cast<double>(m.bytes_in_use));
  out.Set("buffers", static_cast<double>(registry_size()));
  out.Set("blocksInUse", static_cast<double>(m.blocks_in_use));
  out.Set("bytesReserved", static_cast<double>(m.bytes_reserved));
  out.Set("bytesCached", static_cast<double>(m.bytes_cached));
  out.Set("bytesInGraphs", static_cast<double>(m.bytes_in_graphs));
  return out;
}

// deviceInfo(): {usable, reason, error, deviceCount, name, computeCapability, major, minor, totalMemory,
// freeMemory, multiprocessors, l2Bytes, driverVersion, runtimeVersion}. Never throws for a missing driver
// or GPU: `usable` is false and `reason` says why.
Napi::Value DeviceInfoEntry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const effnet::cuda::DeviceInfo d = effnet::cuda::device_info();
  Napi::Object out = Napi::Object::New(env);
  out.Set("usable", d.usable);
  out.Set("reason", d.reason);
  out.Set("error", d.error);
  out.Set("deviceCount", d.device_count);
  out.Set("name", d.name);
  out.Set("computeCapability", d.usable || d.major ? std::to_string(d.major) + "." + std::to_string(d.minor) : "");
  out.Set("major", d.major);
  out.Set("minor", d.minor);
  out.Set("totalMemory", static_cast<double>(d.total_memory));
  out.Set("freeMemory", static_cast<double>(d.free_memory));
  out.Set("multiprocessors", d.multiprocessors);
  out.Set("l2Bytes", static_cast<double>(d.l2_bytes));
  out.Set("driverVersion", d.driver_version);
  out.Set("runtimeVersion", d.runtime_version);
  return out;
}

// synchronize(): waits for every queued op; throws the first asynchronous CUDA error.
Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  effnet::cuda::synchronize();
  return info.Env().Undefined();
}

// emptyCache(): returns the allocator's cached free blocks to the driver.
Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  effnet::cuda::empty_cache();
  return info.Env().Undefined();
}

// setThreads(n) / setIsa(level): the CPU engine's settings; the CUDA engine has none. They report
// the values in effect (1 thread, 'cuda') so callers written for either addon keep working.
Napi::Value SetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), 1); }
Napi::Value SetIsa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), "cuda"); }

}  // namespace

void init_memory(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "alloc", Alloc);
  export_entry(env, exports, "create", Create);
  export_entry(env, exports, "write", Write);
  export_entry(env, exports, "read", Read);
  export_entry(env, exports, "readAsync", ReadAsync);
  export_entry(env, exports, "free", Free);
  export_entry(env, exports, "info", Info);
  export_entry(env, exports, "deviceInfo", DeviceInfoEntry);
  export_entry(env, exports, "synchronize", Synchronize);
  export_entry(env, exports, "emptyCache", EmptyCache);
  export_entry(env, exports, "setThreads", SetThreads);
  export_entry(env, exports, "setIsa", SetIsa);
}

}  // namespace cuda_binding
