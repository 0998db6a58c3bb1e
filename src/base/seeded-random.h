// Random draws that are the same on every platform for a given seed.
//
// std::mt19937_64's raw output is fixed by the C++ standard; the distributions
// of <random> are not (libstdc++ natively and libc++ in the wasm build give
// different numbers), so the few the sweeps need are written out here:
//   index(n)   uniform in [0, n), by rejection on the raw 64-bit output
//   uniform()  uniform in [0, 1) from the top 53 bits
//   normal()   standard normal by the Box–Muller transform, both values used
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace strata {

class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}

  uint64_t index(uint64_t n) {
    // Accept draws below the largest multiple of n, so every index is equally likely.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x = engine_();
    while (x >= limit) x = engine_();
    return x % n;
  }

  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * 3.14159265358979323846 * u2;
    spare_ = r * std::sin(angle);
    has_spare_ = true;
    return r * std::cos(angle);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// A seed for one purpose within an analysis (donor choice, noise, bootstrap),
// so that the purposes do not share one stream.
inline uint64_t derived_seed(uint64_t seed, uint64_t purpose) {
  uint64_t x = seed + 0x9E3779B97F4A7C15ull * (purpose + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;  // splitmix64 finaliser
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace strata
