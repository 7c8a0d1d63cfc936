// Device discovery, the engine's stream and CUDA error reporting.
#include <mutex>
#include <string>

#include "capture_pool.cuh"
#include "common.cuh"

namespace effnet {
namespace cuda {

void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line) {
  (void)cudaGetLastError();  // clear a sticky launch error so the next call starts clean
  std::string file_name(file);
  const size_t slash = file_name.find_last_of('/');
  if (slash != std::string::npos) file_name = file_name.substr(slash + 1);
  throw Error(std::string("CUDA error ") + cudaGetErrorName(err) + ": " + cudaGetErrorString(err) + " (" + what +
              " at " + file_name + ":" + std::to_string(line) + ")");
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

namespace {

std::string reason_for(cudaError_t err, int driver_version, int runtime_version) {
  switch (err) {
    case cudaErrorInsufficientDriver:
      if (driver_version == 0) return "no NVIDIA driver is installed (libcuda.so could not be loaded)";
      return "the NVIDIA driver supports CUDA " + std::to_string(driver_version / 1000) + "." +
             std::to_string((driver_version % 1000) / 10) + ", older than this build's CUDA " +
             std::to_string(runtime_version / 1000) + "." + std::to_string((runtime_version % 1000) / 10) +
             ": update the driver";
    case cudaErrorNoDevice:
      return "no CUDA-capable GPU was found (the driver reports no devices; check CUDA_VISIBLE_DEVICES)";
    case cudaErrorNotPermitted:
    case cudaErrorDevicesUnavailable:
      return "the GPU is not available to this process (exclusive mode or not permitted)";
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
      return "this build has no code for the GPU's architecture";
    default:
      return std::string("CUDA initialisation failed: ") + cudaGetErrorName(err) + ": " + cudaGetErrorString(err);
  }
}

DeviceInfo probe() {
  DeviceInfo d;
  cudaRuntimeGetVersion(&d.runtime_version);
  if (cudaDriverGetVersion(&d.driver_version) != cudaSuccess) d.driver_version = 0;
  cudaError_t err = cudaGetDeviceCount(&d.device_count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    d.device_count = 0;
    d.error = cudaGetErrorName(err);
    d.reason = reason_for(err, d.driver_version, d.runtime_version);
    return d;
  }
  if (d.device_count == 0) {
    d.error = "cudaErrorNoDevice";
    d.reason = reason_for(cudaErrorNoDevice, d.driver_version, d.runtime_version);
    return d;
  }
  cudaDeviceProp prop;
  err = cudaGetDeviceProperties(&prop, 0);
  if (err == cudaSuccess) err = cudaSetDevice(0);
  if (err == cudaSuccess) err = cudaFree(nullptr);  // creates the context: the first real use
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    d.error = cudaGetErrorName(err);
    d.reason = reason_for(err, d.driver_version, d.runtime_version);
    return d;
  }
  d.name = prop.name;
  d.major = prop.major;
  d.minor = prop.minor;
  d.total_memory = prop.totalGlobalMem;
  d.multiprocessors = prop.multiProcessorCount;
  d.l2_bytes = static_cast<size_t>(prop.l2CacheSize);
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) d.free_memory = free_bytes;
  if (d.major < 8) {
    d.reason = "the GPU's compute capability " + std::to_string(d.major) + "." + std::to_string(d.minor) +
               " is below 8.0, the oldest this build supports (sm_80)";
    d.error = "unsupportedArchitecture";
    return d;
  }
  d.usable = true;
  return d;
}

std::once_flag g_probe_once;
DeviceInfo g_probe;

cudaStream_t g_stream = nullptr;
std::once_flag g_stream_once;

}  // namespace

DeviceInfo device_info() {
  std::call_once(g_probe_once, [] { g_probe = probe(); });
  DeviceInfo d = g_probe;
  if (d.usable) {
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) d.free_memory = free_bytes;
    else (void)cudaGetLastError();
  }
  return d;
}

void require_device() {
  const DeviceInfo& d = (std::call_once(g_probe_once, [] { g_probe = probe(); }), g_probe);
  if (!d.usable) throw Error("CUDA is not usable: " + d.reason);
}

cudaStream_t stream() {
  require_device();
  check_capture_thread();
  std::call_once(g_stream_once, [] { CUDA_CHECK(cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking)); });
  if (g_stream == nullptr) throw Error("CUDA error: the engine's stream could not be created");
  return g_stream;
}

void synchronize() {
  check_not_capturing("synchronize");
  CUDA_CHECK(cudaStreamSynchronize(stream()));
}

}  // namespace cuda
}  // namespace effnet
