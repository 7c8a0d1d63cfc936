#include "families.h"

namespace binding {
void init_depthwise(Napi::Env env, Napi::Object exports) {}
}  // namespace binding
