#include "effnet/buffer.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "effnet/common.h"
#include "effnet/memory_check.h"
#include "effnet/weight_arena.h"

namespace effnet {
namespace {
std::atomic<size_t> g_bytes{0};
std::atomic<size_t> g_count{0};
constexpr size_t kAlignment = 64;

// What a buffer of `bytes` allocates: rounded up so that vector loads of the last partial vector stay
// inside it (less than `bytes` when that wraps around).
size_t padded_bytes(size_t bytes) {
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  return bytes == 0 ? kAlignment : rounded;
}

bool poison_new_buffers() {
  static const bool poison = [] {
    const char* v = std::getenv("EFFNET_POISON_BUFFERS");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return poison;
}
}  // namespace

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kInt32: return "int32";
    case DType::kBool: return "bool";
  }
  return "unknown";
}

Buffer::Buffer(size_t bytes, Init init, Memory memory) : bytes_(bytes), memory_(memory) {
  const size_t rounded = padded_bytes(bytes);
  if (rounded < bytes) throw Error("allocation of " + std::to_string(bytes) + " bytes is too large");
  check_allocation(rounded, "a native buffer");
  data_ = memory == Memory::kHugePages ? weight_arena::allocate(rounded) : std::aligned_alloc(kAlignment, rounded);
  if (data_ == nullptr) {
    throw Error("out of memory: could not allocate " + std::to_string(bytes) + " bytes of native memory");
  }
  if (init == Init::kZero) {
    std::memset(data_, 0, rounded);
  } else {
    // Vector kernels may load the padding past the last element: keep it zero, as for kZero.
    std::memset(static_cast<char*>(data_) + bytes, 0, rounded - bytes);
    if (poison_new_buffers()) std::memset(data_, 0xFF, bytes);  // 0xFFFFFFFF is a NaN
  }
  g_bytes += bytes;
  g_count += 1;
}

Buffer::Buffer(std::shared_ptr<Buffer> parent, size_t offset, size_t bytes)
    : bytes_(bytes), memory_(Memory::kView), parent_(std::move(parent)) {
  const size_t rounded = padded_bytes(bytes);
  const size_t room = padded_bytes(parent_->bytes());
  if (offset % kAlignment != 0 || rounded < bytes || offset > room || rounded > room - offset) {
    throw Error("a view of " + std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                " does not fit in a buffer of " + std::to_string(parent_->bytes()) +
                " bytes (offsets are multiples of 64; the view's padding to 64 bytes must fit too)");
  }
  data_ = static_cast<char*>(parent_->data()) + offset;
}

void Buffer::zero_padding() { std::memset(static_cast<char*>(data_) + bytes_, 0, padded_bytes(bytes_) - bytes_); }

Buffer::~Buffer() {
  if (memory_ == Memory::kView) return;  // the parent's bytes, counted and freed with it
  if (memory_ == Memory::kHugePages) {
    weight_arena::release(data_, padded_bytes(bytes_));
  } else {
    std::free(data_);
  }
  g_bytes -= bytes_;
  g_count -= 1;
}

size_t Buffer::bytes_in_use() { return g_bytes.load(); }
size_t Buffer::live_count() { return g_count.load(); }

}  // namespace effnet
