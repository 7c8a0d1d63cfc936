// Fused MBConv blocks prepared for eager calls: mbconvPrepare(options) reads a block's options and looks
// its weights up once (everything the mbconv entry reads), mbconvRun(handle, x, out) then runs the block on
// new input and output buffers. An eager mbconv call spent ~8-13 us reading ~30 options by name and looking
// up 14 buffers; a prepared run reads three arguments and looks up two buffers.
//
// A prepared block holds its weights' buffers and its own packed forms (as a graph's prepared call does).
// It is dropped when any of its weights is freed or rewritten (the packed cache's forget hook), when
// JavaScript releases it, and when the environment that prepared it ends; mbconvRun then returns false and
// the caller prepares the block again.
#include "mbconv_blocks.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "args.h"
#include "effnet/common.h"
#include "effnet/mbconv.h"
#include "effnet/packed_cache.h"
#include "env_owner.h"
#include "mbconv_options.h"

namespace binding {
namespace {

struct PreparedBlock {
  effnet::MBConvParams p;
  MBConvBuffers<Args> buffers;  // the weights (x and out are the run's)
  effnet::MBConvWeights w;
  std::shared_ptr<effnet::MBConvPacked> packed;
  uint32_t owner = 0;
  size_t x_elements = 0, out_elements = 0;
};

class BlockTable {
 public:
  uint32_t add(std::shared_ptr<PreparedBlock> block) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint32_t id = next_id_++;
    if (next_id_ == 0) next_id_ = 1;
    for (const effnet::Buffer* b : weights_of(*block)) {
      b->mark_packed_source();  // packed_cache_forget then tells forget() of it
      ++weight_uses_[b];
    }
    blocks_.emplace(id, std::move(block));
    return id;
  }

  // The block `id` prepared by `owner`, or null when it was dropped (or never made).
  std::shared_ptr<PreparedBlock> get(uint32_t id, uint32_t owner) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(id);
    if (it == blocks_.end() || it->second->owner != owner) return nullptr;
    return it->second;
  }

  bool release(uint32_t id, uint32_t owner) {
    std::shared_ptr<PreparedBlock> dropped;  // let go outside the lock
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(id);
    if (it == blocks_.end() || it->second->owner != owner) return false;
    dropped = erase_locked(it);
    return true;
  }

  // Drops the blocks holding `source` (null: every block): its contents changed or it is gone.
  void forget(const effnet::Buffer* source) {
    std::vector<std::shared_ptr<PreparedBlock>> dropped;
    std::lock_guard<std::mutex> lock(mutex_);
    if (source != nullptr && weight_uses_.count(source) == 0) return;  // not a prepared block's weight: the usual case
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      const auto weights = weights_of(*it->second);
      if (source == nullptr || std::find(weights.begin(), weights.end(), source) != weights.end()) {
        dropped.push_back(erase_locked(it++));
      } else {
        ++it;
      }
    }
  }

  void release_owner(uint32_t owner) {
    std::vector<std::shared_ptr<PreparedBlock>> dropped;
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      if (it->second->owner == owner) dropped.push_back(erase_locked(it++));
      else ++it;
    }
  }

  size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return blocks_.size();
  }

 private:
  using Map = std::unordered_map<uint32_t, std::shared_ptr<PreparedBlock>>;

  static std::vector<const effnet::Buffer*> weights_of(const PreparedBlock& block) {
    const MBConvBuffers<Args>& b = block.buffers;
    std::vector<const effnet::Buffer*> out;
    for (const effnet::BufferPtr* p :
         {&b.stem_kernel, &b.stem_bias, &b.expand_kernel, &b.expand_bias, &b.depthwise_kernel, &b.depthwise_bias,
          &b.se_reduce_kernel, &b.se_reduce_bias, &b.se_expand_kernel, &b.se_expand_bias, &b.project_kernel,
          &b.project_bias}) {
      if (*p != nullptr) out.push_back(p->get());
    }
    return out;
  }

  std::shared_ptr<PreparedBlock> erase_locked(Map::iterator it) {
    std::shared_ptr<PreparedBlock> block = std::move(it->second);
    for (const effnet::Buffer* b : weights_of(*block)) {
      auto use = weight_uses_.find(b);
      if (use != weight_uses_.end() && --use->second == 0) weight_uses_.erase(use);
    }
    blocks_.erase(it);
    return block;
  }

  std::mutex mutex_;
  Map blocks_;
  std::unordered_map<const effnet::Buffer*, size_t> weight_uses_;  // how many blocks hold each weight buffer
  uint32_t next_id_ = 1;
};

BlockTable& blocks() {
  // Never destroyed: buffers may be freed (and the hook run) during static destruction.
  static BlockTable* table = [] {
    auto* t = new BlockTable();
    effnet::packed_cache_on_forget([](const effnet::Buffer* source) { blocks().forget(source); });
    return t;
  }();
  return *table;
}

uint32_t handle_arg(const Napi::CallbackInfo& info, size_t i, const char* entry, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throw effnet::Error(std::string(entry) + ": argument " + std::to_string(i + 1) + " must be " + what);
  }
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 1 && v <= 4294967295.0) || v != static_cast<double>(static_cast<uint32_t>(v))) {
    throw effnet::Error(std::string(entry) + ": argument " + std::to_string(i + 1) + " must be " + what + ", got " +
                        std::to_string(v));
  }
  return static_cast<uint32_t>(v);
}

// mbconvPrepare(options) -> handle: the mbconv entry's options (x and out included: their sizes are
// checked as that entry checks them), read and checked; nothing runs.
Napi::Value Prepare(const Napi::CallbackInfo& info) {
  Args args(info, "EffnetMBConv");
  auto block = std::make_shared<PreparedBlock>();
  block->p = read_mbconv_params(args);
  block->buffers = read_mbconv_buffers(args, block->p);
  const effnet::MBConvParams& p = block->p;
  MBConvBuffers<Args>& b = block->buffers;
  block->x_elements = p.has_stem ? element_count({p.batch, p.stem.in_h, p.stem.in_w, p.stem.in_c}, args.op())
                                 : element_count({p.batch, p.in_h, p.in_w, p.in_channels}, args.op());
  block->out_elements = element_count({p.batch, p.out_h, p.out_w, p.out_channels}, args.op());
  b.x.reset();
  b.out.reset();
  block->w = mbconv_weights(p, b);  // pointers into the buffers the block holds
  block->packed = effnet::mbconv_packed_slot();
  block->owner = env_owner(info.Env());
  return Napi::Number::New(info.Env(), blocks().add(std::move(block)));
}

// mbconvRun(handle, x, out) -> true, or false when the block is no longer prepared (prepare it again).
// x and out are buffer ids, checked as the mbconv entry checks them.
Napi::Value Run(const Napi::CallbackInfo& info) {
  const char* entry = "EffnetMBConv";
  const uint32_t handle = handle_arg(info, 0, entry, "a prepared block");
  const uint32_t x_id = handle_arg(info, 1, entry, "the buffer id of x");
  const uint32_t out_id = handle_arg(info, 2, entry, "the buffer id of out");
  std::shared_ptr<PreparedBlock> block = blocks().get(handle, env_owner(info.Env()));
  if (block == nullptr) return Napi::Boolean::New(info.Env(), false);
  auto buffer = [&](const char* name, uint32_t id, size_t elements, bool overwrite) {
    effnet::BufferPtr b;
    try {
      b = overwrite ? registry_get_for_overwrite(id, elements * sizeof(float)) : registry_get(id);
    } catch (const effnet::Error& e) {
      throw effnet::Error(std::string(entry) + ": '" + name + "': " + e.what());
    }
    if (b->bytes() / sizeof(float) < elements) {
      throw effnet::Error(std::string(entry) + ": buffer '" + name + "' holds " + std::to_string(b->bytes()) +
                          " bytes but " + std::to_string(elements) + " float32 elements (" +
                          std::to_string(elements * sizeof(float)) + " bytes) are needed");
    }
    return b;
  };
  const effnet::BufferPtr x = buffer("x", x_id, block->x_elements, false);
  const effnet::BufferPtr out = buffer("out", out_id, block->out_elements, true);
  if (x == out) throw effnet::Error(std::string(entry) + ": out must not be x's buffer");
  effnet::mbconv(block->p, static_cast<const float*>(x->data()), block->w, static_cast<float*>(out->data()),
                 block->packed.get());
  return Napi::Boolean::New(info.Env(), true);
}

// mbconvRelease(handle) -> whether it was prepared (by this environment) until now.
Napi::Value Release(const Napi::CallbackInfo& info) {
  const uint32_t handle = handle_arg(info, 0, "mbconvRelease", "a prepared block");
  return Napi::Boolean::New(info.Env(), blocks().release(handle, env_owner(info.Env())));
}

}  // namespace

void mbconv_blocks_release_owner(uint32_t owner) { blocks().release_owner(owner); }

size_t mbconv_blocks_count() { return blocks().size(); }

void init_mbconv_blocks(Napi::Env env, Napi::Object exports) {
  blocks();  // registers the forget hook before any block exists
  export_entry(env, exports, "mbconvPrepare", Prepare);
  export_entry(env, exports, "mbconvRun", Run);
  export_entry(env, exports, "mbconvRelease", Release);
  export_entry(env, exports, "mbconvBlockCount", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(mbconv_blocks_count()));
  });
}

}  // namespace binding
