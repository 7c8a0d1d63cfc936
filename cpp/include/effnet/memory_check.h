// Large allocations checked against the memory the system can still give this process. Linux grants
// allocations it cannot back (overcommit) and kills the process when their pages are written, so a
// tensor of an absurd shape would end the process instead of throwing: requests of
// kCheckedAllocationBytes or more are refused with an effnet::Error when they exceed what is available.
#pragma once
#include <cstddef>
#include <cstdint>

namespace effnet {

constexpr size_t kCheckedAllocationBytes = size_t(1) << 30;

// Bytes the system can still back for this process: MemAvailable + SwapFree (/proc/meminfo), at most
// what the process's memory cgroup (v2 memory.max, v1 memory.limit_in_bytes) leaves below its limit
// (plus its swap allowance). UINT64_MAX when /proc/meminfo cannot be read.
uint64_t available_memory_bytes();

// Throws effnet::Error("out of memory: <what> of N bytes; M bytes of memory are available ...") when
// `bytes` >= kCheckedAllocationBytes and more than available_memory_bytes().
void check_allocation(size_t bytes, const char* what);

}  // namespace effnet
