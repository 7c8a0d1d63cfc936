// Reading an op's single options object: typed getters whose errors name the op and the field.
// Shared by the CPU addon (binding/) and the CUDA addon (binding_cuda/); each names its buffer
// registry through BasicArgs (binding/args.h, binding_cuda/args.h).
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "effnet/common.h"

namespace binding {

class OptionReader {
 public:
  // `op` is the tfjs kernel name, used as the prefix of every error message.
  OptionReader(const Napi::CallbackInfo& info, const char* op);

  const char* op() const { return op_; }
  bool has(const char* key) const;
  int64_t integer(const char* key) const;
  int64_t integer_or(const char* key, int64_t fallback) const;
  double number(const char* key) const;
  double number_or(const char* key, double fallback) const;
  bool boolean_or(const char* key, bool fallback) const;
  std::string string(const char* key) const;
  std::vector<int64_t> integers(const char* key) const;
  effnet::DType dtype(const char* key) const;
  // The buffer id in `key` (not yet looked up).
  uint32_t buffer_id(const char* key) const;
  // Throws unless a buffer of `bytes` bytes holds `elements` elements of `type`.
  void check_buffer_size(const char* key, size_t bytes, size_t elements, effnet::DType type) const;

  [[noreturn]] void fail(const std::string& message) const;

 private:
  Napi::Value get(const char* key) const;
  const char* op_;
  Napi::Object object_;
};

// OptionReader plus buffer lookup in `Registry`, which provides `using Ptr = ...` (a shared pointer to
// a buffer with data() and bytes()) and `static Ptr get(uint32_t id)` (throws effnet::Error).
template <typename Registry>
class BasicArgs : public OptionReader {
 public:
  using OptionReader::OptionReader;
  using BufferPtr = typename Registry::Ptr;

  // The buffer whose id is in `key`, checked to hold at least `elements` of `type`.
  BufferPtr buffer(const char* key, size_t elements, effnet::DType type) const {
    const uint32_t id = buffer_id(key);
    BufferPtr b;
    try {
      b = Registry::get(id);
    } catch (const effnet::Error& e) {
      fail(std::string("'") + key + "': " + e.what());
    }
    check_buffer_size(key, b->bytes(), elements, type);
    return b;
  }

  // Typed data pointer of buffer(key, ...); the buffer goes into `keep`, which the caller holds
  // while the pointer is in use.
  template <typename T>
  T* data(const char* key, size_t elements, effnet::DType type, std::vector<BufferPtr>& keep) const {
    auto b = buffer(key, elements, type);
    keep.push_back(b);
    return static_cast<T*>(b->data());
  }
};

// Product of dims, with a clear error on negative dims or overflow.
size_t element_count(const std::vector<int64_t>& shape, const char* op);

using Entry = Napi::Value (*)(const Napi::CallbackInfo&);
// Exports `fn` as `name`, wrapped so that every C++ exception becomes a JavaScript Error.
void export_entry(Napi::Env env, Napi::Object exports, const char* name, Entry fn);

}  // namespace binding
