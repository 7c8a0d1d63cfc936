// EffnetMBConv entry (one fused MBConv block): unpack the options, call the engine.
#include <vector>

#include "args.h"
#include "effnet/mbconv.h"
#include "families.h"

namespace binding {
namespace {

// Options: x, out, depthwiseKernel, depthwiseBias, seReduceKernel, seReduceBias, seExpandKernel,
// seExpandBias, projectKernel, projectBias (buffer ids); expandKernel, expandBias when hasExpand;
// batch, inH, inW, inChannels, expandedChannels, seChannels, outChannels, kernelSize, stride,
// padTop, padBottom, padLeft, padRight, outH, outW, hasExpand, residual.
Napi::Value MBConv(const Napi::CallbackInfo& info) {
  Args args(info, "EffnetMBConv");
  effnet::MBConvParams p;
  args.integer_fields({{"batch", &p.batch}, {"inH", &p.in_h}, {"inW", &p.in_w}, {"inChannels", &p.in_channels},
                       {"expandedChannels", &p.expanded_channels}, {"seChannels", &p.se_channels},
                       {"outChannels", &p.out_channels}, {"kernelSize", &p.kernel_size}, {"stride", &p.stride},
                       {"padTop", &p.pad_top}, {"padBottom", &p.pad_bottom}, {"padLeft", &p.pad_left},
                       {"padRight", &p.pad_right}, {"outH", &p.out_h}, {"outW", &p.out_w}});
  p.has_expand = args.boolean_or("hasExpand", false);
  p.residual = args.boolean_or("residual", false);
  effnet::mbconv_validate(p);  // its errors start with "EffnetMBConv: "
  const char* op = args.op();
  const int64_t k = p.kernel_size, cin = p.in_channels, cexp = p.expanded_channels, cse = p.se_channels,
                cout = p.out_channels;
  const size_t x_n = element_count({p.batch, p.in_h, p.in_w, cin}, op);
  const size_t o_n = element_count({p.batch, p.out_h, p.out_w, cout}, op);
  std::vector<effnet::BufferPtr> keep;
  const float* x = args.data<float>("x", x_n, effnet::DType::kFloat32, keep);
  float* out = args.data<float>("out", o_n, effnet::DType::kFloat32, keep);
  if (static_cast<const void*>(x) == static_cast<const void*>(out)) args.fail("out must not be x's buffer");
  const auto f32 = effnet::DType::kFloat32;
  effnet::MBConvWeights w;
  if (p.has_expand) {
    w.expand_kernel = args.buffer("expandKernel", element_count({cin, cexp}, op), f32);
    w.expand_bias = args.data<float>("expandBias", static_cast<size_t>(cexp), f32, keep);
  }
  w.depthwise_kernel = args.buffer("depthwiseKernel", element_count({k, k, cexp}, op), f32);
  w.depthwise_bias = args.data<float>("depthwiseBias", static_cast<size_t>(cexp), f32, keep);
  w.se_reduce_kernel = args.data<float>("seReduceKernel", element_count({cexp, cse}, op), f32, keep);
  w.se_reduce_bias = args.data<float>("seReduceBias", static_cast<size_t>(cse), f32, keep);
  w.se_expand_kernel = args.data<float>("seExpandKernel", element_count({cse, cexp}, op), f32, keep);
  w.se_expand_bias = args.data<float>("seExpandBias", static_cast<size_t>(cexp), f32, keep);
  w.project_kernel = args.buffer("projectKernel", element_count({cexp, cout}, op), f32);
  w.project_bias = args.data<float>("projectBias", static_cast<size_t>(cout), f32, keep);
  effnet::mbconv(p, x, w, out);
  return info.Env().Undefined();
}

}  // namespace

void init_mbconv(Napi::Env env, Napi::Object exports) { export_entry(env, exports, "mbconv", MBConv); }

}  // namespace binding
