// Downloads that wait off the thread that queues ops (PendingDownload, effnet_cuda/cuda.h): an event
// marks the point in the engine's stream the copy must follow; the copy runs on its own stream.
#include "capture_pool.cuh"
#include "common.cuh"

namespace effnet {
namespace cuda {

PendingDownload::PendingDownload(DeviceBufferPtr src) : src_(std::move(src)) {
  if (src_ == nullptr) throw Error("download: no buffer");
  check_not_capturing("reading tensor data");
  src_->ensure_zeroed();
  cudaStream_t s = stream();
  cudaEvent_t event = nullptr;
  CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  const cudaError_t err = cudaEventRecord(event, s);
  if (err != cudaSuccess) {
    cudaEventDestroy(event);
    throw_cuda_error(err, "cudaEventRecord", __FILE__, __LINE__);
  }
  event_ = event;
}

PendingDownload::~PendingDownload() {
  if (event_ != nullptr) cudaEventDestroy(static_cast<cudaEvent_t>(event_));
}

void PendingDownload::run(void* dst, size_t bytes) {
  if (bytes > src_->bytes()) {
    throw Error("download: " + std::to_string(bytes) + " bytes from a buffer of " + std::to_string(src_->bytes()));
  }
  cudaEvent_t event = static_cast<cudaEvent_t>(event_);
  if (bytes == 0) {
    CUDA_CHECK(cudaEventSynchronize(event));
    return;
  }
  cudaStream_t copy = nullptr;
  CUDA_CHECK(cudaStreamCreateWithFlags(&copy, cudaStreamNonBlocking));
  struct StreamGuard {
    cudaStream_t s;
    ~StreamGuard() { cudaStreamDestroy(s); }
  } guard{copy};
  CUDA_CHECK(cudaStreamWaitEvent(copy, event, 0));
  // Into pageable memory the call returns once the copy is done; the synchronize reports its errors.
  CUDA_CHECK(cudaMemcpyAsync(dst, src_->data(), bytes, cudaMemcpyDeviceToHost, copy));
  CUDA_CHECK(cudaStreamSynchronize(copy));
}

}  // namespace cuda
}  // namespace effnet
