#include "families.h"

namespace binding {
void init_elementwise(Napi::Env env, Napi::Object exports) {}
}  // namespace binding
