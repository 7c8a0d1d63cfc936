#include "families.h"

namespace binding {
void init_matmul(Napi::Env env, Napi::Object exports) {}
}  // namespace binding
