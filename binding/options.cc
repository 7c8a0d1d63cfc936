#include "options.h"

#include <new>


namespace binding {

OptionReader::OptionReader(const Napi::CallbackInfo& info, const char* op) : op_(op) {
  if (info.Length() < 1 || !info[0].IsObject()) fail("expected one options object");
  object_ = info[0].As<Napi::Object>();
}

void OptionReader::fail(const std::string& message) const { throw effnet::Error(std::string(op_) + ": " + message); }

size_t choice_arg(const Napi::Value& value, const char* entry, const char* what,
                  std::initializer_list<const char*> names) {
  std::string quoted, plain;
  size_t i = 0;
  for (const char* name : names) {
    quoted += std::string(i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + "'" + name + "'";
    plain += std::string(i == 0 ? "" : ", ") + name;
    ++i;
  }
  if (!value.IsString()) throw effnet::Error(std::string(entry) + ": expected " + quoted);
  const std::string given = value.As<Napi::String>().Utf8Value();
  i = 0;
  for (const char* name : names) {
    if (given == name) return i;
    ++i;
  }
  throw effnet::Error(std::string(entry) + ": unknown " + what + " '" + given + "'; supported: " + plain);
}

// One property lookup per read (each lookup makes and internalizes the key string): a missing
// property reads as undefined, which counts as absent like null.
bool OptionReader::has(const char* key) const {
  Napi::Value v = object_.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

Napi::Value OptionReader::get(const char* key) const {
  Napi::Value v = object_.Get(key);
  if (v.IsUndefined() || v.IsNull()) fail(std::string("missing option '") + key + "'");
  return v;
}

int64_t OptionReader::integer(const char* key) const { return integer_value(key, get(key)); }

int64_t OptionReader::integer_value(const char* key, const Napi::Value& v) const {
  if (!v.IsNumber()) fail(std::string("option '") + key + "' must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) {
    fail(std::string("option '") + key + "' must be an integer, got " + std::to_string(d));
  }
  return static_cast<int64_t>(d);
}

int64_t OptionReader::integer_or(const char* key, int64_t fallback) const {
  Napi::Value v = object_.Get(key);
  return v.IsUndefined() || v.IsNull() ? fallback : integer_value(key, v);
}

size_t OptionReader::size(const char* key) const {
  const int64_t v = integer(key);
  if (v < 0) fail("negative size");
  return static_cast<size_t>(v);
}

size_t OptionReader::non_negative(const char* key) const {
  const int64_t v = integer(key);
  if (v < 0) fail(std::string("option '") + key + "' must be >= 0, got " + std::to_string(v));
  return static_cast<size_t>(v);
}

void OptionReader::integer_fields(std::initializer_list<IntegerField> fields) const {
  for (const IntegerField& f : fields) *f.field = integer(f.key);
}

void OptionReader::integer_fields_or(int64_t fallback, std::initializer_list<IntegerField> fields) const {
  for (const IntegerField& f : fields) *f.field = integer_or(f.key, fallback);
}

double OptionReader::number(const char* key) const { return number_value(key, get(key)); }

double OptionReader::number_value(const char* key, const Napi::Value& v) const {
  if (!v.IsNumber()) fail(std::string("option '") + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

double OptionReader::number_or(const char* key, double fallback) const {
  Napi::Value v = object_.Get(key);
  return v.IsUndefined() || v.IsNull() ? fallback : number_value(key, v);
}

bool OptionReader::boolean_or(const char* key, bool fallback) const {
  Napi::Value v = object_.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) fail(std::string("option '") + key + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string OptionReader::string(const char* key) const {
  Napi::Value v = get(key);
  if (!v.IsString()) fail(std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> OptionReader::integers(const char* key) const {
  Napi::Value v = get(key);
  if (!v.IsArray()) fail(std::string("option '") + key + "' must be an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) fail(std::string("option '") + key + "' must be an array of integers");
    double d = e.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) {
      fail(std::string("option '") + key + "' must contain integers only");
    }
    out[i] = static_cast<int64_t>(d);
  }
  return out;
}

effnet::DType OptionReader::dtype(const char* key) const {
  std::string name = string(key);
  if (name == "float32") return effnet::DType::kFloat32;
  if (name == "int32") return effnet::DType::kInt32;
  if (name == "bool") return effnet::DType::kBool;
  fail("unsupported dtype '" + name + "' for '" + key + "'; supported: float32, int32, bool");
}

uint32_t OptionReader::buffer_id(const char* key) const {
  int64_t id = integer(key);
  if (id <= 0 || id > 0xffffffffLL) fail(std::string("option '") + key + "' is not a buffer id");
  return static_cast<uint32_t>(id);
}

void OptionReader::check_buffer_size(const char* key, size_t bytes, size_t elements, effnet::DType type) const {
  size_t need = elements * effnet::dtype_size(type);
  if (elements != 0 && need / elements != effnet::dtype_size(type)) fail(std::string("'") + key + "' is too large");
  if (bytes < need) {
    fail(std::string("buffer '") + key + "' holds " + std::to_string(bytes) + " bytes but " +
         std::to_string(elements) + " " + effnet::dtype_name(type) + " elements (" + std::to_string(need) +
         " bytes) are needed");
  }
}

size_t element_count(const std::vector<int64_t>& shape, const char* op) {
  size_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw effnet::Error(std::string(op) + ": negative dimension " + std::to_string(d));
    size_t next = n * static_cast<size_t>(d);
    if (d != 0 && next / static_cast<size_t>(d) != n) throw effnet::Error(std::string(op) + ": shape too large");
    n = next;
  }
  return n;
}

namespace {

// Calls `fn`, turning every C++ exception into a JavaScript Error.
template <typename Fn>
Napi::Value call_entry(const Napi::CallbackInfo& info, const Fn& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), "out of memory in native code");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  } catch (...) {
    throw Napi::Error::New(info.Env(), "unknown native error");
  }
}

}  // namespace

void export_entry(Napi::Env env, Napi::Object exports, const char* name, Entry fn) {
  exports.Set(name, Napi::Function::New(
                        env, [fn](const Napi::CallbackInfo& info) { return call_entry(info, [&] { return fn(info); }); },
                        name));
}

void export_closure(Napi::Env env, Napi::Object exports, const char* name, ClosureEntry fn) {
  exports.Set(name, Napi::Function::New(
                        env, [fn](const Napi::CallbackInfo& info) { return call_entry(info, [&] { return fn(info); }); },
                        name));
}

void export_entries(Napi::Env env, Napi::Object exports, const std::vector<EntryName>& names, KernelEntry fn) {
  for (const EntryName& n : names) {
    const char* op = n.op;
    exports.Set(n.entry, Napi::Function::New(
                             env,
                             [fn, op](const Napi::CallbackInfo& info) {
                               return call_entry(info, [&] { return fn(info, op); });
                             },
                             n.entry));
  }
}

}  // namespace binding
