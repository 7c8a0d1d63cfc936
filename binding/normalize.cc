#include "families.h"

namespace binding {
void init_normalize(Napi::Env env, Napi::Object exports) {}
}  // namespace binding
