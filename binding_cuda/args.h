// Reading an op's single options object (CUDA addon): typed getters whose errors name the op and the
// field; buffers are device buffers of this addon's registry.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "effnet_cuda/cuda.h"
#include "effnet/common.h"

namespace cuda_binding {

class Args {
 public:
  // `op` is the tfjs kernel name, used as the prefix of every error message.
  Args(const Napi::CallbackInfo& info, const char* op);

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

  // The buffer whose id is in `key`, checked to hold at least `elements` of `type`.
  effnet::cuda::DeviceBufferPtr buffer(const char* key, size_t elements, effnet::DType type) const;
  // Typed data pointers of buffer(key, ...). The BufferPtr must be kept alive by the caller
  // while the pointer is in use, so these return both.
  template <typename T>
  T* data(const char* key, size_t elements, effnet::DType type, std::vector<effnet::cuda::DeviceBufferPtr>& keep) const {
    auto b = buffer(key, elements, type);
    keep.push_back(b);
    return static_cast<T*>(b->data());
  }

  [[noreturn]] void fail(const std::string& message) const;

 private:
  Napi::Value get(const char* key) const;
  const char* op_;
  Napi::Object object_;
};

// Product of dims, with a clear error on negative dims or overflow.
size_t element_count(const std::vector<int64_t>& shape, const char* op);

using Entry = Napi::Value (*)(const Napi::CallbackInfo&);
// Exports `fn` as `name`, wrapped so that every C++ exception becomes a JavaScript Error.
void export_entry(Napi::Env env, Napi::Object exports, const char* name, Entry fn);

}  // namespace cuda_binding
