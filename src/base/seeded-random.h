// Random draws that are the same on every platform for a given seed.
//
// The raw output of std::mt19937 and std::mt19937_64 is fixed by the C++
// standard; the distributions of <random> are not (libstdc++ natively and
// libc++ in the wasm build give different numbers), so the few the analyses
// need are written out here. Two generators stand side by side because
// reports are reproducible byte for byte: SeededRandom (64-bit) draws the
// sweeps' and circuits' samples, PortableRandom (32-bit) the study's, the
// probes', the tuned lens's splits and the random models' weights; merging
// them would change every one of those reports' numbers.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace strata {

// Uniform in [0, range) from raw mt19937 output, by rejection.
inline uint32_t uniform_below(std::mt19937& rng, uint32_t range) {
  const uint64_t span = 1ull << 32;
  const uint64_t limit = span - span % range;
  uint64_t x;
  do x = rng();
  while (x >= limit);
  return static_cast<uint32_t>(x % range);
}

// index(n): uniform in [0, n), by rejection on the raw 64-bit output;
// uniform(): in [0, 1) from the top 53 bits; normal(): Box–Muller, both values used.
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

// below(range): uniform_below; uniform(): in [0, 1) from 27 + 26 bits of two
// words; normal(): Box–Muller, one value per pair of uniforms.
class PortableRandom {
 public:
  explicit PortableRandom(uint64_t seed) {
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
    rng_.seed(seq);
  }

  uint32_t below(uint32_t range) { return uniform_below(rng_, range); }

  double uniform() {
    const uint64_t hi = rng_() >> 5, lo = rng_() >> 6;  // 27 + 26 bits
    return (static_cast<double>(hi) * 67108864.0 + static_cast<double>(lo)) / 9007199254740992.0;
  }

  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937 rng_;
};

// A seed for one purpose within an analysis (donor choice, noise, bootstrap),
// so that the purposes do not share one stream.
inline uint64_t derived_seed(uint64_t seed, uint64_t purpose) {
  uint64_t x = seed + 0x9E3779B97F4A7C15ull * (purpose + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;  // splitmix64 finaliser
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The study's and the probes' seed for one purpose (their reports were fixed
// with this simpler mix before derived_seed existed).
inline uint64_t salted_seed(uint64_t seed, uint64_t salt) { return seed + salt * 0x9E3779B97F4A7C15ull; }

}  // namespace strata
