// CUDA graphs of the engine's work: every op queued between begin_capture() and end_capture() is
// recorded into a graph instead of running, and the graph is replayed later with one launch.
//
// What a capture needs from the ops it records (and what these functions enforce):
// - Memory: buffers allocated during the capture come from a pool that belongs to the graph; they are
//   reused within the capture (the graph is one chain, so reuse keeps its order) but never handed to
//   other buffers while the graph lives. Buffers allocated before the capture and read by captured ops
//   (weights, the input) are held by the graph, so freeing their tensors cannot free memory it reads.
// - Uploads are recorded from pinned copies the graph keeps; downloads, synchronize() and ops from
//   another thread throw while a capture is in progress.
// Plain C++ (no CUDA types), used by binding_cuda/graph.cc.
#pragma once
#include <cstddef>
#include <memory>

#include "effnet_cuda/cuda.h"

namespace effnet {
namespace cuda {

class Graph {
 public:
  Graph(void* graph, void* exec, std::shared_ptr<CapturePool> pool, DeviceBufferPtr input, DeviceBufferPtr output,
        std::vector<DeviceBufferPtr> held);
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Copies x into the captured input, replays the graph and copies the captured output into a new
  // buffer, which it returns; all queued on the engine's stream. x must have the captured input's size.
  DeviceBufferPtr launch(const DeviceBuffer& x);
  size_t nodes() const { return nodes_; }
  size_t input_bytes() const { return input_->bytes(); }
  size_t output_bytes() const { return output_->bytes(); }
  // Device memory of the blocks the graph owns (its intermediates and outputs).
  size_t pool_bytes() const;

 private:
  void* graph_;  // cudaGraph_t
  void* exec_;   // cudaGraphExec_t
  std::shared_ptr<CapturePool> pool_;
  DeviceBufferPtr input_, output_;
  std::vector<DeviceBufferPtr> held_;  // buffers from before the capture that captured ops read
  size_t nodes_ = 0;
};

// Starts recording the engine's stream on the calling thread. Throws when a capture is already in
// progress or CUDA is unusable.
void begin_capture();
// Ends the capture and instantiates its graph. `input` must be a buffer allocated before the capture
// (what launch() copies x into); `output` is what launch() copies out. Throws with the CUDA error when
// the capture was invalidated (an op did something a graph cannot record).
std::shared_ptr<Graph> end_capture(const DeviceBufferPtr& input, const DeviceBufferPtr& output);
// Ends a capture without a graph (after an error); its pool's blocks return to the cache. Returns
// whether a capture was in progress.
bool abort_capture();
// Whether a capture is in progress (on any thread).
bool capturing();
// During a capture, holds `buffer` for the graph when it was allocated before the capture (ops call
// this for every buffer they use, through the binding's registry).
void hold_for_capture(const DeviceBufferPtr& buffer);

}  // namespace cuda
}  // namespace effnet
