#include "effnet/broadcast.h"

#include "effnet/common.h"

namespace effnet {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

BroadcastPlan plan_broadcast(const std::string& what, const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                             const std::vector<int64_t>& out) {
  const size_t rank = out.size();
  auto fail = [&] {
    throw Error(what + ": shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast to " + shape_str(out));
  };
  if (a.size() > rank || b.size() > rank) fail();
  std::vector<int64_t> sa(rank, 0), sb(rank, 0);
  int64_t ca = 1, cb = 1;
  for (size_t k = 0; k < rank; ++k) {
    const size_t i = rank - 1 - k;
    const int64_t d = out[i];
    const int64_t da = k < a.size() ? a[a.size() - 1 - k] : 1;
    const int64_t db = k < b.size() ? b[b.size() - 1 - k] : 1;
    if ((da != d && da != 1) || (db != d && db != 1) || d < 0) fail();
    sa[i] = da == 1 ? 0 : ca;
    sb[i] = db == 1 ? 0 : cb;
    ca *= da;
    cb *= db;
  }
  // Walk from the innermost dim outwards, merging where both operands stay contiguous.
  std::vector<int64_t> dims, pa, pb;  // innermost first
  for (size_t k = 0; k < rank; ++k) {
    const size_t i = rank - 1 - k;
    const int64_t d = out[i];
    if (d == 1) continue;
    if (!dims.empty() && sa[i] == pa.back() * dims.back() && sb[i] == pb.back() * dims.back()) {
      dims.back() *= d;
      continue;
    }
    dims.push_back(d);
    pa.push_back(sa[i]);
    pb.push_back(sb[i]);
  }
  if (dims.empty()) {
    dims.push_back(1);
    pa.push_back(0);
    pb.push_back(0);
  }
  BroadcastPlan p;
  p.dims.assign(dims.rbegin(), dims.rend());
  p.sa.assign(pa.rbegin(), pa.rend());
  p.sb.assign(pb.rbegin(), pb.rend());
  return p;
}

}  // namespace effnet
