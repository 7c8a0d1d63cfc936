#include "families.h"

namespace binding {
void init_conv(Napi::Env env, Napi::Object exports) {}
}  // namespace binding
