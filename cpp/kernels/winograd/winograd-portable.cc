// Winograd transforms, portable C++ (4 channels a step, which the compiler may vectorise).
#include <cstddef>

#include "winograd.h"

namespace {
struct Vec {
  static constexpr size_t kWidth = 4;
  struct T {
    float v[4];
  };
  static T load(const float* p) { return T{{p[0], p[1], p[2], p[3]}}; }
  static void store(float* p, T x) {
    for (int i = 0; i < 4; ++i) p[i] = x.v[i];
  }
  static T add(T a, T b) { return T{{a.v[0] + b.v[0], a.v[1] + b.v[1], a.v[2] + b.v[2], a.v[3] + b.v[3]}}; }
  static T sub(T a, T b) { return T{{a.v[0] - b.v[0], a.v[1] - b.v[1], a.v[2] - b.v[2], a.v[3] - b.v[3]}}; }
  static T mul(T a, T b) { return T{{a.v[0] * b.v[0], a.v[1] * b.v[1], a.v[2] * b.v[2], a.v[3] * b.v[3]}}; }
  static T zero() { return T{{0.f, 0.f, 0.f, 0.f}}; }
  static T splat(float c) { return T{{c, c, c, c}}; }
  static float r1(float x) { return x < 0.f ? 0.f : x; }
  static float r6(float x) { return x < 0.f ? 0.f : (x > 6.f ? 6.f : x); }
  static T relu(T x) { return T{{r1(x.v[0]), r1(x.v[1]), r1(x.v[2]), r1(x.v[3])}}; }
  static T relu6(T x) { return T{{r6(x.v[0]), r6(x.v[1]), r6(x.v[2]), r6(x.v[3])}}; }
  using Mask = bool;  // some lane
  static Mask is_nan(T x) { return x.v[0] != x.v[0] || x.v[1] != x.v[1] || x.v[2] != x.v[2] || x.v[3] != x.v[3]; }
  static Mask either(Mask a, Mask b) { return a || b; }
  static Mask no_lanes() { return false; }
  static bool any(Mask m) { return m; }
};
}  // namespace

#define WINOGRAD_ISA portable
#include "winograd.inc"
