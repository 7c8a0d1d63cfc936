#include "effnet/threadpool.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace effnet {
namespace {

int default_threads() {
  if (const char* env = std::getenv("EFFNET_NUM_THREADS")) {
    int value = std::atoi(env);
    if (value >= 1) return value;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count >= 1) return count;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

thread_local bool t_inside_pool = false;

// Batch-1 ops last ~20-200 us, about as long as a condition-variable wake-up, so both sides of a job
// poll briefly before sleeping: a worker keeps looking for the next job, the caller for the end of this one.
constexpr auto kSpin = std::chrono::microseconds(200);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls `ready` for up to kSpin; true as soon as it holds.
template <typename Ready>
bool spin_until(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

class Pool {
 public:
  Pool() : threads_(default_threads()) {}
  ~Pool() { stop_workers(); }

  int threads() const { return threads_; }

  void resize(int count) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    stop_workers();
    threads_ = std::max(1, count);
  }

  void run(size_t n, size_t grain, const std::function<void(size_t, size_t)>& body) {
    if (n == 0) return;
    grain = std::max<size_t>(1, grain);
    const size_t max_chunks = (n + grain - 1) / grain;
    if (threads_ == 1 || max_chunks == 1 || t_inside_pool) {
      body(0, n);
      return;
    }
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    start_workers();
    // A few chunks per thread balance uneven work without much scheduling overhead.
    const size_t chunks = std::min(max_chunks, static_cast<size_t>(threads_) * 4);
    const size_t chunk = (n + chunks - 1) / chunks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &body;
      n_ = n;
      chunk_ = chunk;
      next_.store(0);
      error_ = nullptr;
      pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
      generation_.store(generation_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    wake_.notify_all();
    work();
    if (!spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    const bool was_inside = t_inside_pool;
    t_inside_pool = true;
    for (;;) {
      size_t begin = next_.fetch_add(chunk_);
      if (begin >= n_) break;
      size_t end = std::min(n_, begin + chunk_);
      try {
        (*body_)(begin, end);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
    t_inside_pool = was_inside;
  }

  // `seen` starts at the generation current when the worker was started, so a worker created after
  // earlier jobs never mistakes the last finished job for a new one.
  void worker_loop(size_t seen) {
    auto ready = [&] {
      return stopping_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
    };
    for (;;) {
      if (!spin_until(ready)) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, ready);
      }
      if (stopping_.load(std::memory_order_acquire)) return;
      seen = generation_.load(std::memory_order_acquire);
      work();
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  void start_workers() {
    if (!workers_.empty()) return;
    size_t generation;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(false, std::memory_order_release);
      generation = generation_.load(std::memory_order_relaxed);
    }
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, generation] { worker_loop(generation); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int threads_;
  std::mutex run_mutex_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(size_t, size_t)>* body_ = nullptr;
  size_t n_ = 0;
  size_t chunk_ = 1;
  std::atomic<size_t> next_{0};
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: workers may outlive static teardown order
  return *instance;
}

}  // namespace

int num_threads() { return pool().threads(); }
void set_num_threads(int count) { pool().resize(count); }
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& body) {
  pool().run(n, grain, body);
}

}  // namespace effnet
