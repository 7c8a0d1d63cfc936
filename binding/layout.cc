#include "families.h"

namespace binding {
void init_layout(Napi::Env env, Napi::Object exports) {}
}  // namespace binding
