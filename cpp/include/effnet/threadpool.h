// A persistent thread pool for data-parallel loops. The calling thread takes part, so with
// one thread configured all work runs on the caller and no worker thread exists.
#pragma once
#include <cstddef>
#include <functional>

namespace effnet {

// Number of threads (caller included) that parallel_for uses. Defaults to EFFNET_NUM_THREADS
// or, when unset, the number of cores available to the process.
int num_threads();

// Sets the thread count (>= 1). Threads beyond the count are stopped.
void set_num_threads(int count);

// Calls body(begin, end) over disjoint ranges that cover [0, n), each at least `grain` long
// (except the last), on up to num_threads() threads. Returns when all calls have returned.
// The first exception thrown by a body is rethrown on the caller. Nested calls run serially.
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& body);

}  // namespace effnet
