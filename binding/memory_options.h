// The arguments of the buffer entries (alloc, create, write, read, free) that both addons take the
// same way: positional, not an options object.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "effnet/common.h"

namespace binding {

// Argument `index` as a buffer id; `what` (the entry) prefixes the error.
inline uint32_t buffer_id_arg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    throw effnet::Error(std::string(what) + ": expected a buffer id as argument " + std::to_string(index + 1));
  }
  return info[index].As<Napi::Number>().Uint32Value();
}

// alloc(bytes): the byte count.
inline size_t alloc_bytes_arg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw effnet::Error("alloc: expected a byte count");
  double bytes = info[0].As<Napi::Number>().DoubleValue();
  if (!(bytes >= 0) || bytes > 9.0e15) throw effnet::Error("alloc: invalid byte count " + std::to_string(bytes));
  return static_cast<size_t>(bytes);
}

// The bytes of a typed-array argument.
struct HostBytes {
  const uint8_t* data = nullptr;
  size_t bytes = 0;
};

inline HostBytes typed_array_arg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsTypedArray()) {
    throw effnet::Error(std::string(what) + ": expected a typed array");
  }
  Napi::TypedArray array = info[index].As<Napi::TypedArray>();
  return HostBytes{static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset(), array.ByteLength()};
}

// write(id, typedArray): the array must have exactly the buffer's size.
inline void check_write_size(uint32_t id, size_t buffer_bytes, size_t array_bytes) {
  if (array_bytes != buffer_bytes) {
    throw effnet::Error("write: buffer " + std::to_string(id) + " holds " + std::to_string(buffer_bytes) +
                        " bytes, the array has " + std::to_string(array_bytes));
  }
}

}  // namespace binding
