// Checks of the CUDA engine's buffer lifetimes, lazy zero fill and graph capture (cuda/allocator.cu,
// cuda/graph.cu, cuda/device.cu, cuda/download.cu), compiled with a plain C++ compiler against the
// stand-in runtime in fake_cuda/ (host memory, one in-order stream that records while capturing).
// test/graph_capture_emulated.test.ts builds and runs it; it prints one line per failed check and
// "graph capture checks: N passed" at the end, exiting 1 when any failed.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common.cuh"  // the engine's stream()
#include "cuda_runtime.h"
#include "effnet_cuda/cuda.h"
#include "effnet_cuda/graph.h"

using effnet::cuda::DeviceBuffer;
using effnet::cuda::DeviceBufferPtr;
using Zeroing = DeviceBuffer::Zeroing;

namespace {

int g_failed = 0, g_passed = 0;

#define CHECK(cond)                                                     \
  do {                                                                  \
    if (cond) {                                                         \
      ++g_passed;                                                       \
    } else {                                                            \
      ++g_failed;                                                       \
      std::printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
    }                                                                   \
  } while (0)

// Whether f throws effnet::Error with `needle` in its message.
template <class F>
bool throws(F f, const char* needle) {
  try {
    f();
  } catch (const effnet::Error& e) {
    if (std::strstr(e.what(), needle) != nullptr) return true;
    std::printf("  (threw '%s', expected '%s')\n", e.what(), needle);
    return false;
  }
  return false;
}

std::vector<float> values(const DeviceBuffer& b) {
  std::vector<float> v(b.bytes() / sizeof(float));
  effnet::cuda::download(b, v.data(), b.bytes());
  return v;
}

void set(DeviceBuffer& b, const std::vector<float>& v) { effnet::cuda::upload(b, v.data(), v.size() * sizeof(float)); }

DeviceBufferPtr filled(const std::vector<float>& v) {
  auto b = std::make_shared<DeviceBuffer>(v.size() * sizeof(float), Zeroing::kNone);
  set(*b, v);
  return b;
}

// What an op entry does with its output: a new buffer that owes its zero fill, taken for overwriting.
DeviceBufferPtr op_output(size_t floats) {
  auto b = std::make_shared<DeviceBuffer>(floats * sizeof(float), Zeroing::kBeforeFirstRead);
  b->overwritten();
  return b;
}

// A device-to-device copy on the engine's stream (the check's only "kernel").
void copy(DeviceBuffer& dst, size_t dst_float, const DeviceBuffer& src, size_t floats) {
  cudaMemcpyAsync(static_cast<float*>(dst.data()) + dst_float, src.data(), floats * sizeof(float),
                  cudaMemcpyDeviceToDevice, effnet::cuda::stream());
}

bool all_zero(const std::vector<float>& v) {
  for (float x : v) {
    if (x != 0.f) return false;
  }
  return true;
}

void zero_fill() {
  const long memsets = fake_cuda::counters().memsets;
  DeviceBuffer now(64);
  CHECK(fake_cuda::counters().memsets == memsets + 1);
  CHECK(all_zero(values(now)));

  DeviceBuffer later(64, Zeroing::kBeforeFirstRead);
  CHECK(fake_cuda::counters().memsets == memsets + 1);  // nothing yet
  CHECK(all_zero(values(later)));                       // the read queues it first
  CHECK(fake_cuda::counters().memsets == memsets + 2);
  later.ensure_zeroed();
  CHECK(fake_cuda::counters().memsets == memsets + 2);  // owed once

  auto written = op_output(16);
  std::vector<float> v(16, 3.f);
  set(*written, v);
  CHECK(fake_cuda::counters().memsets == memsets + 2);  // overwritten: never zeroed
  CHECK(values(*written) == v);

  // A block that held data, handed out again, still reads as zeros.
  void* block = written->data();
  written.reset();
  DeviceBuffer reused(16 * sizeof(float), Zeroing::kBeforeFirstRead);
  CHECK(reused.data() == block);
  CHECK(all_zero(values(reused)));
}

void capture_and_replay() {
  using effnet::cuda::begin_capture;
  using effnet::cuda::capturing;
  using effnet::cuda::end_capture;
  using effnet::cuda::hold_for_capture;
  const effnet::cuda::MemoryStats before = effnet::cuda::memory_stats();
  const long host_allocs = fake_cuda::counters().host_allocs, host_frees = fake_cuda::counters().host_frees;

  DeviceBufferPtr weights = filled({10, 20, 30, 40});
  DeviceBufferPtr input = filled({1, 2, 3, 4});
  DeviceBufferPtr pending = std::make_shared<DeviceBuffer>(4 * sizeof(float), Zeroing::kBeforeFirstRead);

  begin_capture();
  CHECK(capturing());
  CHECK(throws([] { begin_capture(); }, "already in progress"));
  hold_for_capture(weights);
  hold_for_capture(input);
  hold_for_capture(pending);
  // op 1: t1 = input
  DeviceBufferPtr t1 = op_output(4);
  copy(*t1, 0, *input, 4);
  // a constant made during the capture (tf.scalar in a model): recorded from a pinned copy
  auto constant = std::make_shared<DeviceBuffer>(4 * sizeof(float), Zeroing::kNone);
  set(*constant, {100, 200, 300, 400});
  // a buffer from before the capture first read inside it: its zero fill is recorded, and still owed
  pending->ensure_zeroed();
  // op 2: out = [t1, weights, constant, pending]
  DeviceBufferPtr out = op_output(16);
  copy(*out, 0, *t1, 4);
  copy(*out, 4, *weights, 4);
  copy(*out, 8, *constant, 4);
  copy(*out, 12, *pending, 4);
  void* t1_block = t1->data();
  t1.reset();
  constant.reset();
  // op 3: scratch of t1's size reuses t1's block (the graph is one chain), and overwrites it
  DeviceBufferPtr scratch = op_output(4);
  CHECK(scratch->data() == t1_block);
  copy(*scratch, 0, *weights, 4);
  scratch.reset();
  // What a captured function may not do.
  CHECK(throws([&] { values(*out); }, "while a CUDA graph is being captured"));
  CHECK(throws([] { effnet::cuda::synchronize(); }, "while a CUDA graph is being captured"));
  CHECK(throws([&] { effnet::cuda::PendingDownload d(out); }, "while a CUDA graph is being captured"));
  bool other_thread_refused = false;
  std::thread other([&] { other_thread_refused = throws([] { DeviceBuffer b(16); }, "another thread"); });
  other.join();
  CHECK(other_thread_refused);
  CHECK(throws([&] { end_capture(out, out); }, "made before the capture"));  // ends the capture too
  CHECK(!capturing());

  // Again, properly this time.
  begin_capture();
  DeviceBufferPtr t2 = op_output(4);
  copy(*t2, 0, *input, 4);
  auto constant2 = std::make_shared<DeviceBuffer>(4 * sizeof(float), Zeroing::kNone);
  set(*constant2, {100, 200, 300, 400});
  hold_for_capture(weights);
  pending->ensure_zeroed();
  hold_for_capture(pending);
  DeviceBufferPtr out2 = op_output(16);
  copy(*out2, 0, *t2, 4);
  copy(*out2, 4, *weights, 4);
  copy(*out2, 8, *constant2, 4);
  copy(*out2, 12, *pending, 4);
  void* t2_block = t2->data();
  t2.reset();
  constant2.reset();
  DeviceBufferPtr scratch2 = op_output(4);
  CHECK(scratch2->data() == t2_block);
  copy(*scratch2, 0, *weights, 4);
  scratch2.reset();
  hold_for_capture(input);
  std::shared_ptr<effnet::cuda::Graph> graph = end_capture(input, out2);
  CHECK(!capturing());
  CHECK(graph->nodes() > 0);
  CHECK(graph->pool_bytes() > 0);
  CHECK(fake_cuda::counters().pageable_copies_recorded == 0);
  CHECK(fake_cuda::counters().syncs_while_capturing == 0);

  // Outside the capture, new buffers never get the graph's blocks.
  DeviceBufferPtr eager = op_output(4);
  CHECK(eager->data() != t2_block);
  // The debt of `pending` survived the capture: read eagerly, it is zero-filled now.
  CHECK(all_zero(values(*pending)));

  const std::vector<float> expect1{5, 6, 7, 8, 10, 20, 30, 40, 100, 200, 300, 400, 0, 0, 0, 0};
  const std::vector<float> expect2{9, 9, 9, 9, 10, 20, 30, 40, 100, 200, 300, 400, 0, 0, 0, 0};
  DeviceBufferPtr x1 = filled({5, 6, 7, 8});
  DeviceBufferPtr x2 = filled({9, 9, 9, 9});
  DeviceBufferPtr r1 = graph->launch(*x1);
  DeviceBufferPtr r2 = graph->launch(*x2);
  CHECK(values(*r1) == expect1);  // each result is its own input's
  CHECK(values(*r2) == expect2);
  // The caller's references to the weights and the input go: the graph holds them.
  weights.reset();
  input.reset();
  out.reset();
  out2.reset();
  DeviceBufferPtr r3 = graph->launch(*x1);
  CHECK(values(*r3) == expect1);
  CHECK(throws([&] { graph->launch(DeviceBuffer(8)); }, "the graph was captured with 16 bytes"));
  CHECK(effnet::cuda::memory_stats().bytes_in_graphs > 0);

  // Disposed, the graph gives its blocks back to the cache and frees its pinned copies.
  graph.reset();
  CHECK(effnet::cuda::memory_stats().bytes_in_graphs == 0);
  CHECK(fake_cuda::counters().host_frees - host_frees == fake_cuda::counters().host_allocs - host_allocs);
  CHECK(fake_cuda::counters().host_allocs - host_allocs == 2);  // one per recorded upload (two captures)
  pending.reset();
  eager.reset();
  x1.reset();
  x2.reset();
  r1.reset();
  r2.reset();
  r3.reset();
  const effnet::cuda::MemoryStats after = effnet::cuda::memory_stats();
  CHECK(after.bytes_in_use == before.bytes_in_use);
  CHECK(after.blocks_in_use == before.blocks_in_use);
  CHECK(after.bytes_reserved == after.bytes_cached + after.bytes_in_use);
}

void abort_releases_everything() {
  const effnet::cuda::MemoryStats before = effnet::cuda::memory_stats();
  effnet::cuda::begin_capture();
  DeviceBufferPtr kept = op_output(64);  // a buffer of the aborted capture that outlives it
  {
    DeviceBufferPtr t = op_output(32);
    set(*t, std::vector<float>(32, 1.f));
  }
  CHECK(effnet::cuda::memory_stats().bytes_in_graphs > 0);  // t's block waits in the pool
  CHECK(effnet::cuda::abort_capture());
  CHECK(!effnet::cuda::capturing());
  CHECK(!effnet::cuda::abort_capture());  // nothing to abort any more
  CHECK(effnet::cuda::memory_stats().bytes_in_graphs == 0);
  kept.reset();  // back to the cache, the pool being released
  const effnet::cuda::MemoryStats after = effnet::cuda::memory_stats();
  CHECK(after.bytes_in_use == before.bytes_in_use);
  CHECK(after.bytes_in_graphs == 0);
  CHECK(after.bytes_reserved == after.bytes_cached + after.bytes_in_use);
  CHECK(fake_cuda::pinned().empty());
}

}  // namespace

int main() {
  try {
    zero_fill();
    capture_and_replay();
    abort_releases_everything();
  } catch (const std::exception& e) {
    std::printf("FAILED: unexpected exception: %s\n", e.what());
    ++g_failed;
  }
  std::printf("graph capture checks: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
