// One init function per binding file; each exports that family's entries.
#pragma once
#include <napi.h>

namespace binding {
void init_memory(Napi::Env env, Napi::Object exports);       // memory.cc: buffers, threads, ISA
void init_conv(Napi::Env env, Napi::Object exports);         // conv.cc: Conv2D, FusedConv2D
void init_matmul(Napi::Env env, Napi::Object exports);       // matmul.cc: BatchMatMul, _FusedMatMul
void init_depthwise(Napi::Env env, Napi::Object exports);    // depthwise.cc: (Fused)DepthwiseConv2D
void init_pooling(Napi::Env env, Napi::Object exports);      // pooling.cc: AvgPool, MaxPool
void init_normalize(Napi::Env env, Napi::Object exports);    // normalize.cc: FusedBatchNorm, ResizeBilinear
void init_elementwise(Napi::Env env, Napi::Object exports);  // elementwise.cc: unary and binary ops
void init_reduce(Napi::Env env, Napi::Object exports);       // reduce.cc: Sum, Mean, Max, Min, ArgMax, Softmax
void init_layout(Napi::Env env, Napi::Object exports);       // layout.cc: Transpose, Concat, Slice, Pad, ...
void init_diagnostics(Napi::Env env, Napi::Object exports);  // diagnostics.cc: machine ceilings for benchmarks
void init_mbconv(Napi::Env env, Napi::Object exports);       // mbconv.cc: EffnetMBConv (fused MBConv block)
void init_head(Napi::Env env, Napi::Object exports);         // head.cc: EffnetHead (fused EfficientNet head)
void init_graph_replay(Napi::Env env, Napi::Object exports); // graph_replay.cc: compiled CPU graph replays
}  // namespace binding
