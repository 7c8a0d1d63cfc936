// Two operands broadcast to one output shape (numpy rules), in the form the element-wise walkers of
// both engines (cpp/ops/binary.cc, cuda/binary.cu) iterate: size-1 dims dropped and neighbouring dims
// merged wherever both operands stay contiguous across them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace effnet {

struct BroadcastPlan {
  // Outermost first, at least one dim; sa/sb are the operands' element strides (0 where broadcast).
  std::vector<int64_t> dims, sa, sb;
};

// Throws effnet::Error "<what>: shapes [..] and [..] do not broadcast to [..]" when they do not.
BroadcastPlan plan_broadcast(const std::string& what, const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                             const std::vector<int64_t>& out);

}  // namespace effnet
