// Calls prepared for a captured graph's replay (binding/graph_replay.cc): an entry's options are read
// and its buffers looked up once, and the call then runs on every replay without reading them again.
// The entries that have a preparer run through it themselves too (read, then run once), so a replay
// does what the op-by-op call does.
#pragma once
#include <functional>
#include <string>

#include "args.h"

namespace binding {

// Runs the op on what its options named. It holds its buffers, and reads their contents (never the
// options) on every run: a graph's intermediates change between replays.
using PreparedCall = std::function<void()>;
// Reads an entry's options (`args`, named after its tfjs kernel) into a PreparedCall; throws what the
// entry would.
using Preparer = PreparedCall (*)(const Args& args);

// Exports `fn` as entry `entry` serving kernel `op` (as export_entry does), and makes it the entry's
// preparer for graphs.
void export_prepared_entry(Napi::Env env, Napi::Object exports, const char* entry, const char* op, Preparer fn);

// The preparer of entry `entry` and its kernel name; false when the entry has none.
bool find_preparer(const std::string& entry, Preparer* fn, const char** op);

}  // namespace binding
