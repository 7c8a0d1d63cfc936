// Reduction entries of the CUDA addon (same options as binding/reduce.cc): reduce (Sum, Mean, Max,
// Min, Prod, All, Any), argReduce (ArgMax, ArgMin), softmax.
#include <string>

#include "args.h"
#include "families.h"
#include "reduce_options.h"

namespace cuda_binding {
namespace {

// reduce({op, x, out, shape, axes, xDtype, outDtype}); axes in [0, rank).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const std::string kernel = binding::kernel_option(info, "reduce");
  Args args(info, kernel.c_str());
  if (!effnet::cuda::is_reduce_op(kernel)) args.fail("no CUDA implementation of this reduction");
  const auto o = binding::read_reduce(args);
  effnet::cuda::reduce(kernel, o.x, o.x_type, o.shape, o.axes, o.out, o.out_type);
  return info.Env().Undefined();
}

// argReduce({op: 'ArgMax' | 'ArgMin', x, out, shape, axis, xDtype}); out is int32.
Napi::Value ArgReduce(const Napi::CallbackInfo& info) {
  const std::string kernel = binding::kernel_option(info, "argReduce");
  Args args(info, kernel.c_str());
  if (kernel != "ArgMax" && kernel != "ArgMin") args.fail("not an arg-reduction of the CUDA engine");
  auto o = binding::read_arg_reduce(args);
  if (o.axis_size == 0 && o.x_size == 0 && o.out_size == 0) return info.Env().Undefined();
  binding::read_arg_reduce_buffers(args, o);
  effnet::cuda::arg_reduce(kernel == "ArgMax", o.x, o.x_type, o.shape, o.axis, o.out);
  return info.Env().Undefined();
}

// softmax({logits, out, rows, cols}); float32, over the last axis.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args args(info, "Softmax");
  const auto o = binding::read_softmax(args);
  effnet::cuda::softmax(o.x, o.y, o.rows, o.cols);
  return info.Env().Undefined();
}

}  // namespace

void init_reduce(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "reduce", Reduce);
  export_entry(env, exports, "argReduce", ArgReduce);
  export_entry(env, exports, "softmax", Softmax);
}

}  // namespace cuda_binding
