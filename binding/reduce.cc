// Entries of the reduction family: reduce (Sum, Mean, Max, Min, Prod, All, Any), argReduce
// (ArgMax, ArgMin), softmax.
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "effnet/elementwise.h"
#include "families.h"
#include "prepared.h"
#include "reduce_options.h"

namespace binding {
namespace {

// reduce({op, x, out, shape, axes, xDtype, outDtype}); axes in [0, rank). `entry` reads `op`, the kernel
// that names the errors that follow.
PreparedCall PrepareReduce(const Args& entry) {
  const std::string kernel = entry.string("op");
  Args args(entry.options(), kernel.c_str());
  effnet::ReduceOp op;
  if (!effnet::reduce_op_from_name(kernel, &op)) args.fail("not a reduction of the native engine");
  auto o = read_reduce(args);
  return [op, o = std::move(o)]() { effnet::reduce(op, o.x, o.x_type, o.shape, o.axes, o.out, o.out_type); };
}

// argReduce({op: 'ArgMax' | 'ArgMin', x, out, shape, axis, xDtype}); out is int32.
Napi::Value ArgReduce(const Napi::CallbackInfo& info) {
  const std::string kernel = kernel_option(info, "argReduce");
  Args args(info, kernel.c_str());
  if (kernel != "ArgMax" && kernel != "ArgMin") args.fail("not an arg-reduction of the native engine");
  auto o = read_arg_reduce(args);
  read_arg_reduce_buffers(args, o);
  effnet::arg_reduce(kernel == "ArgMax", o.x, o.x_type, o.shape, o.axis, o.out);
  return info.Env().Undefined();
}

// softmax({logits, out, rows, cols}); float32, over the last axis.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args args(info, "Softmax");
  const auto o = read_softmax(args);
  effnet::softmax_f32(o.x, o.y, o.rows, o.cols);
  return info.Env().Undefined();
}

}  // namespace

void init_reduce(Napi::Env env, Napi::Object exports) {
  export_prepared_entry(env, exports, "reduce", "reduce", PrepareReduce);
  export_entry(env, exports, "argReduce", ArgReduce);
  export_entry(env, exports, "softmax", Softmax);
}

}  // namespace binding
