// One init function per binding file of the CUDA addon; each exports that family's entries, with the
// CPU addon's entry names and option objects (src/kernels/*.ts call either addon the same way).
#pragma once
#include <napi.h>

#include <cstdint>

namespace cuda_binding {
void init_memory(Napi::Env env, Napi::Object exports);       // memory.cc: buffers, deviceInfo, info
void init_elementwise(Napi::Env env, Napi::Object exports);  // elementwise.cc: binary, unary, addN
void init_layout(Napi::Env env, Napi::Object exports);       // layout.cc: strided copies, concat, cast, fill
void init_reduce(Napi::Env env, Napi::Object exports);       // reduce.cc: reduce, argReduce, softmax
void init_conv(Napi::Env env, Napi::Object exports);         // conv.cc: conv, depthwise, matmul, pooling, batchNorm, resize
void init_mbconv(Napi::Env env, Napi::Object exports);       // mbconv.cc: the fused MBConv block (EffnetMBConv)
void init_head(Napi::Env env, Napi::Object exports);         // head.cc: the fused EfficientNet head (EffnetHead)
void init_precision(Napi::Env env, Napi::Object exports);    // precision.cc: setCudaPrecision, getCudaPrecision
void init_graph(Napi::Env env, Napi::Object exports);        // graph.cc: CUDA graph capture and replay

// graph.cc: frees the CUDA graphs an environment captured (binding/env_owner.h), when it ends.
void graphs_release_owner(uint32_t owner);
}  // namespace cuda_binding
