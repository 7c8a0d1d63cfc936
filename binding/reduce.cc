#include "families.h"

namespace binding {
void init_reduce(Napi::Env env, Napi::Object exports) {}
}  // namespace binding
