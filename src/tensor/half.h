// 16-bit floating-point formats a checkpoint may store its weights in, and
// their exact widening to f32. F16 is IEEE binary16; BF16 is the top half of
// an f32 (same exponent range, 8 bits of mantissa).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace strata {

enum class Precision { F32, F16, BF16 };

inline float bf16_to_f32(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    // zero or subnormal: mantissa * 2^-24, exact in f32
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    std::memcpy(&bits, &magnitude, sizeof bits);
    bits |= sign;
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, or NaN keeping its payload
  } else {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // rebias 15 -> 127
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Rounds to the nearest BF16 value, ties to even (for finite values; a NaN may become an infinity).
inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// Widens `count` values of a 16-bit precision (F16 or BF16) into `out`.
inline void widen(Precision precision, const uint16_t* in, long count, float* out) {
  if (precision == Precision::BF16)
    for (long i = 0; i < count; ++i) out[i] = bf16_to_f32(in[i]);
  else
    for (long i = 0; i < count; ++i) out[i] = f16_to_f32(in[i]);
}

}  // namespace strata
