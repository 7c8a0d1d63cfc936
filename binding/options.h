// Reading an op's single options object: typed getters whose errors name the op and the field.
// Shared by the CPU addon (binding/) and the CUDA addon (binding_cuda/); each names its buffer
// registry through BasicArgs (binding/args.h, binding_cuda/args.h).
#pragma once
#include <napi.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "effnet/common.h"

namespace binding {

// One integer option read into a struct field: `key` -> `*field`.
struct IntegerField {
  const char* key;
  int64_t* field;
};

class OptionReader {
 public:
  // `op` is the tfjs kernel name, used as the prefix of every error message.
  OptionReader(const Napi::CallbackInfo& info, const char* op);
  // The options object itself (a call prepared for a graph's replay: binding/prepared.h).
  OptionReader(Napi::Object options, const char* op) : op_(op), object_(options), for_replay_(true) {}

  const char* op() const { return op_; }
  // Whether the call is prepared for a graph's replays (else it runs once, now).
  bool for_replay() const { return for_replay_; }
  // The options object.
  Napi::Object options() const { return object_; }
  bool has(const char* key) const;
  int64_t integer(const char* key) const;
  int64_t integer_or(const char* key, int64_t fallback) const;
  // integer(key), checked to be >= 0.
  size_t non_negative(const char* key) const;
  // integer(key) as an element count: "negative size" when below 0.
  size_t size(const char* key) const;
  // integer(key) into each field, in the order given.
  void integer_fields(std::initializer_list<IntegerField> fields) const;
  // integer_or(key, fallback) into each field, in the order given.
  void integer_fields_or(int64_t fallback, std::initializer_list<IntegerField> fields) const;
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
  // `v` (the value of option `key`) as an integer / a number, or an error naming the option.
  int64_t integer_value(const char* key, const Napi::Value& v) const;
  double number_value(const char* key, const Napi::Value& v) const;
  Napi::Value get(const char* key) const;
  const char* op_;
  Napi::Object object_;
  bool for_replay_ = false;
};

// OptionReader plus buffer lookup in `Registry`, which provides `using Ptr = ...` (a shared pointer to
// a buffer with data() and bytes()), `static Ptr get(uint32_t id)` (throws effnet::Error) and
// `static Ptr get_for_overwrite(uint32_t id, size_t bytes)` (the same, for a buffer whose first `bytes` bytes
// the op writes before reading any).
template <typename Registry>
class BasicArgs : public OptionReader {
 public:
  using OptionReader::OptionReader;
  using BufferPtr = typename Registry::Ptr;

  // The buffer whose id is in `key`, checked to hold at least `elements` of `type`. `overwrite`: the op
  // writes all of the buffer's bytes before reading any (see output()).
  BufferPtr buffer(const char* key, size_t elements, effnet::DType type, bool overwrite = false) const {
    const uint32_t id = buffer_id(key);
    BufferPtr b;
    try {
      b = overwrite ? Registry::get_for_overwrite(id, elements * effnet::dtype_size(type)) : Registry::get(id);
    } catch (const effnet::Error& e) {
      fail(std::string("'") + key + "': " + e.what());
    }
    check_buffer_size(key, b->bytes(), elements, type);
    return b;
  }

  // The whole buffer in `key`, with `*elements` set to how many elements of `type` it holds (for ops
  // that check every address against the size themselves).
  BufferPtr whole_buffer(const char* key, effnet::DType type, size_t* elements) const {
    BufferPtr b = buffer(key, 0, type);
    *elements = b->bytes() / effnet::dtype_size(type);
    return b;
  }

  // The buffer with id `id` taken from a list option; `name` ("input 2", "inputs[2]") names it in errors.
  BufferPtr buffer_at(int64_t id, const std::string& name) const {
    if (id <= 0 || id > 0xffffffffLL) fail(name + " is not a buffer id");
    try {
      return Registry::get(static_cast<uint32_t>(id));
    } catch (const effnet::Error& e) {
      fail(name + ": " + e.what());
    }
  }

  // Typed data pointer of buffer(key, ...); the buffer goes into `keep`, which the caller holds
  // while the pointer is in use.
  template <typename T>
  T* data(const char* key, size_t elements, effnet::DType type, std::vector<BufferPtr>& keep) const {
    auto b = buffer(key, elements, type);
    keep.push_back(b);
    return static_cast<T*>(b->data());
  }

  // data() for an op's output of `elements` elements that the op writes whole before anything reads it:
  // where that is the whole buffer, the CUDA addon skips zero-filling it. Only for ops whose kernels write
  // every element for every shape they accept.
  template <typename T>
  T* output(const char* key, size_t elements, effnet::DType type, std::vector<BufferPtr>& keep) const {
    auto b = buffer(key, elements, type, /*overwrite=*/true);
    keep.push_back(b);
    return static_cast<T*>(b->data());
  }
};

// The tfjs kernel name in an entry's `op` option (binary, unary, reduce, argReduce take one); the
// entry's own name prefixes the error when it is missing.
inline std::string kernel_option(const Napi::CallbackInfo& info, const char* entry) {
  return OptionReader(info, entry).string("op");
}

// The buffers an entry looked up with `Args` (a BasicArgs): held while their pointers are in use.
template <typename Args>
using BufferList = std::vector<typename Args::BufferPtr>;

// Product of dims, with a clear error on negative dims or overflow.
size_t element_count(const std::vector<int64_t>& shape, const char* op);

// The settings entries' argument (setIsa, winogradMode, gemmTileRates): the index in `names` of the string
// `value`. A value that is not a string is an Error "<entry>: expected 'a', 'b' or 'c'", another string
// "<entry>: unknown <what> 'x'; supported: a, b, c".
size_t choice_arg(const Napi::Value& value, const char* entry, const char* what,
                  std::initializer_list<const char*> names);

using Entry = Napi::Value (*)(const Napi::CallbackInfo&);
// Exports `fn` as `name`, wrapped so that every C++ exception becomes a JavaScript Error.
void export_entry(Napi::Env env, Napi::Object exports, const char* name, Entry fn);

// export_entry for an entry that is a closure.
using ClosureEntry = std::function<Napi::Value(const Napi::CallbackInfo&)>;
void export_closure(Napi::Env env, Napi::Object exports, const char* name, ClosureEntry fn);

// An entry that serves several tfjs kernels: called with the kernel's name `op`.
using KernelEntry = Napi::Value (*)(const Napi::CallbackInfo&, const char* op);
// One addon entry name and the tfjs kernel it serves.
struct EntryName {
  const char* entry;
  const char* op;
};
// Exports `fn` once per name, each called with its kernel name (and wrapped as export_entry does).
void export_entries(Napi::Env env, Napi::Object exports, const std::vector<EntryName>& names, KernelEntry fn);

}  // namespace binding
