// Fused MBConv blocks prepared once for many eager calls (binding/mbconv_blocks.cc).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace binding {

// Exports mbconvPrepare, mbconvRun and mbconvRelease.
void init_mbconv_blocks(Napi::Env env, Napi::Object exports);
// Drops the blocks environment `owner` prepared (the environment has ended).
void mbconv_blocks_release_owner(uint32_t owner);
// Prepared blocks alive, every environment's (diagnostics and tests).
size_t mbconv_blocks_count();

}  // namespace binding
