// Copying one native buffer's bytes into another of the same size (copyBuffer, and runGraph's input).
#pragma once
#include <cstring>
#include <string>

#include "effnet/buffer.h"
#include "effnet/common.h"
#include "effnet/packed_cache.h"

namespace binding {

// dst's bytes = src's. Sizes must match: otherwise an Error "<entry>: <src_name> holds N bytes, <dst_name> M".
// Weights packed from dst's old contents are dropped (a captured graph's input keeps its buffer across runs).
inline void copy_buffer_bytes(const char* entry, const char* src_name, const char* dst_name, const effnet::BufferPtr& src,
                              const effnet::BufferPtr& dst) {
  if (src->bytes() != dst->bytes()) {
    throw effnet::Error(std::string(entry) + ": " + src_name + " holds " + std::to_string(src->bytes()) + " bytes, " +
                        dst_name + " " + std::to_string(dst->bytes()));
  }
  if (src != dst && src->bytes() > 0) std::memcpy(dst->data(), src->data(), src->bytes());
  effnet::packed_cache_forget(dst.get());
}

}  // namespace binding
