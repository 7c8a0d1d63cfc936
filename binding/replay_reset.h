// What a captured graph's intermediate is before the call that first uses it in a replay (resetBuffers
// in memory.cc, runGraph in graph_replay.cc).
#pragma once
#include <cstring>

#include "effnet/buffer.h"
#include "effnet/packed_cache.h"

namespace binding {

// Zero-fills `b` (unless the call writes it whole: `zero_fill` false), zeroes its padding (memory shared
// with other intermediates may hold their values) and drops the weights packed from it.
inline void reset_for_replay(effnet::Buffer& b, bool zero_fill) {
  if (zero_fill && b.bytes() > 0) std::memset(b.data(), 0, b.bytes());
  b.zero_padding();
  effnet::packed_cache_forget(&b);
}

}  // namespace binding
