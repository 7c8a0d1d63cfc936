// The CUDA engine's API: plain C++ (no CUDA or N-API types), used by binding_cuda/. Every function
// throws effnet::Error carrying the CUDA error's name and message when a runtime call fails.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "effnet/common.h"

namespace effnet {
namespace cuda {

// What the driver and runtime say about device 0. Never throws: `usable` is false and `reason`
// says why when CUDA cannot be used (no driver, driver too old, no device, ...).
struct DeviceInfo {
  bool usable = false;
  std::string reason;      // why CUDA is unusable; empty when usable
  std::string error;       // the CUDA error name behind `reason` (cudaErrorNoDevice, ...), if any
  int device_count = 0;
  int device = 0;
  std::string name;
  int major = 0, minor = 0;  // compute capability
  size_t total_memory = 0, free_memory = 0;
  int multiprocessors = 0;
  size_t l2_bytes = 0;
  int driver_version = 0;   // CUDA version the driver supports (e.g. 13000), 0 without a driver
  int runtime_version = 0;  // CUDA runtime linked into the addon (e.g. 13000)
};
DeviceInfo device_info();
// Throws effnet::Error with device_info().reason unless CUDA is usable.
void require_device();

// The blocks of one captured CUDA graph (graph.h): allocated while it was captured and reused only
// by that capture, so no other buffer shares memory the graph writes when it is replayed.
struct CapturePool;

// A block of device memory from the caching allocator; returned to the cache when destroyed (or to
// its graph's pool, when allocated during a capture and the graph still lives).
class DeviceBuffer {
 public:
  // When a new buffer is zero-filled (on the engine's stream): at once; before the first op that reads
  // it, unless the first op overwrites it whole (what tensors get: most are op outputs, and zeroing
  // those would cost a memset per op and a node per op in a captured graph); or never (the caller
  // overwrites it at once).
  enum class Zeroing { kNow, kBeforeFirstRead, kNone };
  explicit DeviceBuffer(size_t bytes, Zeroing zeroing = Zeroing::kNow);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  // The pool of the graph whose capture allocated this buffer; null outside captures.
  const CapturePool* capture_pool() const { return pool_.get(); }
  // Queues the zero fill a kBeforeFirstRead buffer still owes; for every use except a whole overwrite.
  void ensure_zeroed() const;
  // The next op writes every byte: the zero fill the buffer still owes, if any, is dropped.
  void overwritten();

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  size_t block_ = 0;  // size of the cached block backing this buffer
  std::shared_ptr<CapturePool> pool_;
  mutable std::atomic<bool> zero_pending_{false};
};
using DeviceBufferPtr = std::shared_ptr<DeviceBuffer>;

// Host <-> device copies on the engine's stream. download() waits for the stream (and so for every
// op queued before it); upload() returns once the host memory may be reused. During a graph capture
// an upload is recorded from a pinned copy the graph keeps (it is repeated on every replay) and a
// download throws.
void upload(DeviceBuffer& dst, const void* src, size_t bytes);
void download(const DeviceBuffer& src, void* dst, size_t bytes);
// Waits until every queued op has finished; throws the first asynchronous error.
void synchronize();

// A download in two steps, so that the wait and the copy can run off the thread that queues ops.
// The constructor (on the thread that queues ops) marks the end of the work queued so far on the
// engine's stream and holds `src`, so the block is not reused while the copy may still read it;
// run() (on any thread, once) waits for the marked work and copies on a stream of its own, then waits
// for the copy. Ops queued after the constructor are not waited for.
class PendingDownload {
 public:
  explicit PendingDownload(DeviceBufferPtr src);
  ~PendingDownload();
  PendingDownload(const PendingDownload&) = delete;
  PendingDownload& operator=(const PendingDownload&) = delete;
  size_t bytes() const { return src_->bytes(); }
  // Copies the first `bytes` bytes of src into host memory at dst; throws effnet::Error with the
  // CUDA error (an op's asynchronous fault included).
  void run(void* dst, size_t bytes);

 private:
  DeviceBufferPtr src_;
  void* event_ = nullptr;  // cudaEvent_t recorded after the work queued before the constructor
};

struct MemoryStats {
  size_t bytes_in_use = 0;    // bytes of live buffers (as requested)
  size_t blocks_in_use = 0;
  size_t bytes_reserved = 0;  // bytes held from cudaMalloc: in use plus cached
  size_t bytes_cached = 0;    // free blocks kept for reuse
  size_t bytes_in_graphs = 0; // free blocks kept for the captured graphs that own them
};
MemoryStats memory_stats();
// Returns cached free blocks to the driver.
void empty_cache();

// ---- arithmetic of the GEMMs ---------------------------------------------------------------------
// How Conv2D / FusedConv2D (every filter size), BatchMatMul / _FusedMatMul and the fused MBConv
// block's projection multiply: kFp32 on the SIMT cores in float32 (the default; within 1e-4 relative of
// native-cpu), or on the tensor cores with the inputs rounded to TF32 (10-bit mantissa), fp16 or bf16
// and float32 accumulation. Tensors stay float32 in memory either way. A process-wide setting read
// when an op is queued; depthwise convolutions and the MBConv expand conv always run in float32.
enum class Precision : int { kFp32 = 0, kTf32 = 1, kFp16 = 2, kBf16 = 3 };
void set_precision(Precision p);
Precision precision();
// "fp32", "tf32", "fp16", "bf16".
const char* precision_name(Precision p);
// False (and *out untouched) when `name` is none of precision_name's.
bool parse_precision(const std::string& name, Precision* out);
// "fp32, tf32, fp16, bf16": the accepted names, for error messages.
const char* precision_names();

// ---- ops (float32 unless stated; shapes as vectors of dims) -----------------------------------
using Shape = std::vector<int64_t>;

// Binary ops: 'Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference', 'Prelu',
// 'Pow', 'Mod', 'FloorDiv', 'Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual',
// 'LogicalAnd', 'LogicalOr'. Returns false when `kernel` is none of them.
bool is_binary_op(const std::string& kernel);
void binary(const std::string& kernel, const void* a, DType a_type, const Shape& a_shape, const void* b,
            DType b_type, const Shape& b_shape, void* out, DType out_type, const Shape& out_shape);

struct UnaryParams {
  double alpha = 0;
  double beta = 0;
};
bool is_unary_op(const std::string& kernel);
void unary(const std::string& kernel, const void* x, DType x_type, void* out, DType out_type, size_t n,
           const UnaryParams& params);

// out = sum of inputs (n elements each), accumulated in input order.
void add_n(const std::vector<const void*>& inputs, DType type, void* out, size_t n);

// Reductions over `axes`: 'Sum', 'Mean', 'Max', 'Min', 'Prod', 'All', 'Any'.
bool is_reduce_op(const std::string& kernel);
void reduce(const std::string& kernel, const void* x, DType x_type, const Shape& shape,
            const std::vector<int64_t>& axes, void* out, DType out_type);
// Index of the first maximum (is_max) or minimum along `axis`.
void arg_reduce(bool is_max, const void* x, DType x_type, const Shape& shape, int64_t axis, int32_t* out);
// Softmax over the last axis of a (rows, cols) float32 matrix.
void softmax(const float* x, float* y, size_t rows, size_t cols);

// out[i] = the element `value` (elem_size bytes, already in the output's type) for n elements.
void fill(void* out, size_t elem_size, size_t n, const void* value);

// A strided view: element i (multi-index) lives at offset + sum(index[k] * strides[k]).
struct StridedLayout {
  int64_t offset = 0;
  std::vector<int64_t> strides;
};
// out[dst(i)] = x[src(i)] over `shape`; every address is checked against the buffers' sizes
// (src_elements, dst_elements) before anything runs.
void strided_copy(const std::string& op, size_t elem_size, const Shape& shape, const void* src,
                  size_t src_elements, const StridedLayout& src_layout, void* dst, size_t dst_elements,
                  const StridedLayout& dst_layout);
// Inputs viewed as [outer, inner_i], written side by side into out [outer, sum(inner)].
void concat(size_t elem_size, size_t outer, const std::vector<const void*>& inputs, const std::vector<size_t>& inner,
            void* out);
// Element-wise dtype conversion with typed-array semantics.
void cast(const void* x, DType x_type, void* out, DType out_type, size_t n);

// GatherV2: out[b, o, j, :] = x[b, o, indices[b, j], :] (slice elements each). Indices must already be
// checked to lie in [0, dim); rows with an index outside it are zero-filled.
void gather(size_t elem_size, size_t batch, size_t outer, size_t dim, size_t slice, size_t count, const void* x,
            const int32_t* indices, void* out);
// Select: out[i] = cond == 1 ? t : e; cond has n_out elements or one per row of n_out / cond_size.
void select(const void* cond, DType cond_type, size_t cond_size, const void* t, DType t_type, const void* e,
            DType e_type, void* out, DType out_type, size_t n_out);

// MirrorPad: offset 0 'reflect', 1 'symmetric'; paddings already checked against the shape.
void mirror_pad(size_t elem_size, const Shape& shape, const std::vector<int64_t>& before,
                const std::vector<int64_t>& after, int offset, const void* x, void* out);
// OneHot: out[i, k] = (indices[i] == k) ? on : off (elements of elem_size bytes).
void one_hot(size_t elem_size, size_t count, size_t depth, const int32_t* indices, const void* on, const void* off,
             void* out);

// ---- convolution, matrix multiplication, pooling, normalisation ---------------------------------

// A float32 operand broadcast against an output of shape `out_dims` (rank <= 8): element at output
// multi-index i is data[sum(i[k] * strides[k])] (stride 0 where broadcast).
struct BroadcastOperand {
  const float* data = nullptr;
  std::vector<int64_t> strides;
};
// The strides of an operand of `shape` broadcast (NumPy rules, never enlarging) to `out_shape`;
// throws effnet::Error naming `what` when it does not broadcast.
BroadcastOperand broadcast_operand(const std::string& what, const float* data, const Shape& shape,
                                   const Shape& out_shape);

// Epilogue of fused ops: out = act(acc + bias + residual), prelu slopes broadcast like bias.
// activation codes as effnet::Activation (0 linear, 1 relu, 2 relu6, 3 elu, 4 leakyrelu, 5 prelu,
// 6 sigmoid, 7 swish).
struct Epilogue {
  Shape out_shape;  // the output's shape (operands broadcast against it)
  BroadcastOperand bias, prelu;
  const float* residual = nullptr;  // the output's shape, added before the activation
  int activation = 0;
  float alpha = 0.2f;
};

struct Conv2DShape {
  int64_t batch = 0, in_h = 0, in_w = 0, in_c = 0, out_h = 0, out_w = 0, out_c = 0;
  int64_t filter_h = 0, filter_w = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
};
// NHWC x, HWIO filter -> NHWC out (implicit GEMM).
void conv2d(const Conv2DShape& s, const float* x, const float* filter, float* out, const Epilogue& ep);

struct DepthwiseShape {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0, multiplier = 1, out_h = 0, out_w = 0;
  int64_t filter_h = 0, filter_w = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
};
// NHWC x, [fh, fw, C, multiplier] filter -> NHWC out with C * multiplier channels.
void depthwise_conv2d(const DepthwiseShape& s, const float* x, const float* filter, float* out, const Epilogue& ep);

struct MatMulShape {
  size_t batch_a = 1, batch_b = 1, batch = 1, m = 0, n = 0, k = 0;
  bool transpose_a = false, transpose_b = false;
};
// out[b] = op(a[b % batch_a]) * op(b[b % batch_b]), then the epilogue.
void batch_matmul(const MatMulShape& s, const float* a, const float* b, float* out, const Epilogue& ep);

struct Pool2DShape {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0, filter_h = 0, filter_w = 0, stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, out_h = 0, out_w = 0;
};
// Max (NaN never wins) or average over the window's in-bounds elements, NHWC.
void pool2d(bool is_max, const Pool2DShape& s, const float* x, float* out);

// out = offset + (x - mean) * scale / sqrt(variance + eps), operands indexed cyclically (tfjs).
struct CyclicOperand {
  const float* data = nullptr;
  size_t size = 0;  // 0: absent (offset 0, scale 1)
};
void batch_norm(const float* x, size_t n, CyclicOperand mean, CyclicOperand variance, CyclicOperand offset,
                CyclicOperand scale, double epsilon, float* out);

struct ResizeShape {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0, out_h = 0, out_w = 0;
  bool align_corners = false, half_pixel_centers = false;
};
// Bilinear resize of NHWC float32 (x_int32 false) or int32 images to float32, tfjs's coordinates.
void resize_bilinear(const ResizeShape& s, const void* x, bool x_int32, float* out);

}  // namespace cuda
}  // namespace effnet
