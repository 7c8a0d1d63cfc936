#include "families.h"

namespace binding {
void init_pooling(Napi::Env env, Napi::Object exports) {}
}  // namespace binding
