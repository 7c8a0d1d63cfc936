#include "effnet/memory_check.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "effnet/common.h"

namespace effnet {
namespace {

// `line` without its line ending.
std::string without_newline(const char* line) {
  std::string s(line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The first line of `path`, or "" when it cannot be read.
std::string first_line(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  char line[256] = {};
  const bool ok = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  return ok ? without_newline(line) : "";
}

// A byte count written as decimal digits; false for "max", empty or anything else.
bool parse_bytes(const std::string& s, uint64_t* value) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return false;
  *value = std::strtoull(s.c_str(), nullptr, 10);
  return true;
}

// Bytes below the limit of the process's memory cgroup (with its swap allowance), or UINT64_MAX when
// there is no limit or it cannot be read. cgroup v2 ("0::<path>" in /proc/self/cgroup) and v1
// ("<n>:memory:<path>"); v1 writes "no limit" as a number near 2^63.
uint64_t cgroup_room() {
  std::FILE* f = std::fopen("/proc/self/cgroup", "r");
  if (f == nullptr) return UINT64_MAX;
  std::string v2, v1;
  char line[512];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    const std::string s = without_newline(line);
    if (s.rfind("0::", 0) == 0) v2 = s.substr(3);
    const size_t at = s.find(":memory:");
    if (at != std::string::npos) v1 = s.substr(at + 8);
  }
  std::fclose(f);
  constexpr uint64_t kNoLimit = uint64_t(1) << 60;
  uint64_t limit = 0, usage = 0;
  if (!v1.empty()) {
    const std::string dir = "/sys/fs/cgroup/memory" + v1;
    if (parse_bytes(first_line(dir + "/memory.limit_in_bytes"), &limit) && limit < kNoLimit &&
        parse_bytes(first_line(dir + "/memory.usage_in_bytes"), &usage)) {
      uint64_t memsw = 0;  // memory + swap limit, where swap accounting is on
      const bool swap = parse_bytes(first_line(dir + "/memory.memsw.limit_in_bytes"), &memsw) && memsw >= limit;
      const uint64_t room = limit > usage ? limit - usage : 0;
      return swap && memsw < kNoLimit ? room + (memsw - limit) : room;
    }
  }
  if (!v2.empty()) {
    const std::string dir = "/sys/fs/cgroup" + (v2 == "/" ? std::string() : v2);
    if (parse_bytes(first_line(dir + "/memory.max"), &limit) &&
        parse_bytes(first_line(dir + "/memory.current"), &usage)) {
      uint64_t room = limit > usage ? limit - usage : 0;
      const std::string swap_limit = first_line(dir + "/memory.swap.max");
      if (swap_limit == "max") return UINT64_MAX;  // swap without a limit: meminfo's SwapFree decides
      uint64_t swap_max = 0, swap_used = 0;
      if (parse_bytes(swap_limit, &swap_max) && parse_bytes(first_line(dir + "/memory.swap.current"), &swap_used)) {
        room += swap_max > swap_used ? swap_max - swap_used : 0;
      }
      return room;
    }
  }
  return UINT64_MAX;
}

}  // namespace

uint64_t available_memory_bytes() {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return UINT64_MAX;
  uint64_t available_kb = 0, swap_kb = 0;
  bool found = false;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long long kb = 0;
    if (std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
      available_kb = kb;
      found = true;
    } else if (std::sscanf(line, "SwapFree: %llu kB", &kb) == 1) {
      swap_kb = kb;
    }
  }
  std::fclose(f);
  if (!found) return UINT64_MAX;
  return std::min<uint64_t>((available_kb + swap_kb) * 1024, cgroup_room());
}

void check_allocation(size_t bytes, const char* what) {
  if (bytes < kCheckedAllocationBytes) return;
  const uint64_t available = available_memory_bytes();
  if (bytes <= available) return;
  throw Error(std::string("out of memory: ") + what + " of " + std::to_string(bytes) + " bytes; " +
              std::to_string(available) +
              " bytes of memory are available (MemAvailable + SwapFree, within the memory cgroup's limit)");
}

}  // namespace effnet
