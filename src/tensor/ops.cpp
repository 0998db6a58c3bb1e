#include "tensor/ops.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace strata {
namespace {

// softmax_inplace() works on four entries at a time. The lanes after a row's
// last entry are -inf, whose exponential is exactly 0, so every entry goes
// through the same arithmetic wherever it falls, and the sums add the lanes
// in an order fixed by the row's length alone.
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

// Four lanes as the compiler's vector extension, which both builds turn into
// their SIMD instructions (SSE natively, wasm SIMD in the browser). The two
// builds then compute the same exponential bit for bit: no fused multiply-add
// on either target, and the same polynomial (Eigen's exponential differs from
// the one below in its last bits, and a fitted lens carries such differences on).
typedef float Lanes __attribute__((vector_size(16)));
typedef int32_t Ints __attribute__((vector_size(16)));

Lanes splat(float x) { return Lanes{x, x, x, x}; }
Lanes max(Lanes a, Lanes b) {
  const Ints b_larger = a < b;
  return reinterpret_cast<Lanes>((b_larger & reinterpret_cast<Ints>(b)) | (~b_larger & reinterpret_cast<Ints>(a)));
}
float lane(Lanes a, int i) { return a[i]; }
Lanes load(const float* x) {
  Lanes a;
  std::memcpy(&a, x, sizeof a);
  return a;
}
void store(float* x, Lanes a) { std::memcpy(x, &a, sizeof a); }

// e^x for x <= 0, Cephes' expf (as Eigen's): x = m ln2 + r with |r| <= ln2/2,
// e^r from a polynomial, 2^m built in the exponent bits. From x < -87.7 on
// (-inf included) m is held at -127, where those bits make 2^m exactly 0: the
// result is 0 where it would be subnormal or less. NaN stays NaN.
Lanes exp_to_zero(Lanes x) {
  const Lanes clamped = max(x, splat(-88.f));
  // Adding 1.5 * 2^23 rounds x / ln2 to the integer m and leaves m in the low
  // bits, from where the exponent of 2^m is shifted in (cheaper in V8 than
  // floor and a float-to-integer conversion).
  const Lanes magic = splat(12582912.f);
  const Lanes rounded = clamped * splat(1.44269504f) + magic;
  const Lanes m = rounded - magic;
  // ln2 in two parts, the first exact in a few bits, so that m * ln2 loses nothing.
  const Lanes r = clamped - m * splat(0.693359375f) - m * splat(-2.12194440e-4f);
  Lanes p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  const Lanes e_r = p * (r * r) + r + splat(1.f);
  return e_r * reinterpret_cast<Lanes>((reinterpret_cast<Ints>(rounded) + 127) << 23);
}

// The entries x[0, count) of a row, count < 4, the other lanes -inf.
Lanes load_last(const float* x, long count) {
  Lanes a = splat(kMinusInf);
  std::memcpy(&a, x, static_cast<size_t>(count) * sizeof(float));
  return a;
}

// Stores the first `count` lanes of a.
void store_first(float* x, long count, const Lanes& a) {
  if (count >= 4) {
    store(x, a);
    return;
  }
  alignas(16) float t[4];
  store(t, a);
  std::copy(t, t + count, x);
}

float max_of(const Lanes& a) { return std::max(std::max(lane(a, 0), lane(a, 1)), std::max(lane(a, 2), lane(a, 3))); }
float sum_of(const Lanes& a) { return (lane(a, 0) + lane(a, 1)) + (lane(a, 2) + lane(a, 3)); }

}  // namespace

void layer_norm(const Mat& x, const RowVec& w, const RowVec& b, float eps, Mat& out) {
  out.resize(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float mean = x.row(r).mean();
    RowVec centered = x.row(r).array() - mean;
    const float var = centered.squaredNorm() / static_cast<float>(x.cols());
    const float inv = 1.0f / std::sqrt(var + eps);
    out.row(r) = (centered.array() * inv * w.array() + b.array()).matrix();
  }
}

void rms_norm(const Mat& x, const RowVec& w, float eps, Mat& out) {
  out.resize(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float ms = x.row(r).squaredNorm() / static_cast<float>(x.cols());
    const float inv = 1.0f / std::sqrt(ms + eps);
    out.row(r) = (x.row(r).array() * inv * w.array()).matrix();
  }
}

// An Eigen array expression, so that tanh runs vectorised (Eigen's packet tanh,
// a few ulp from std::tanh): a scalar std::tanh per element made GPT-2's forward
// 1.6x LLaMA's at the same widths. (SiLU's scalar std::exp below measured faster
// in wasm than Eigen's packet exp, so it stays scalar.)
void gelu_new_inplace(Mat& x) {
  const float k = std::sqrt(2.0f / static_cast<float>(M_PI));
  auto v = x.array();
  x = (0.5f * v * (1.0f + (k * (v + 0.044715f * v.cube())).tanh())).matrix();
}

void silu_inplace(Mat& x) {
  x = x.unaryExpr([](float v) { return v / (1.0f + std::exp(-v)); });
}

// Whole vectors first, then the last entries (fewer than four) padded
// with -inf: there is no branch per vector, and a row whose masked part has
// room writes its last vector whole.
void softmax_inplace(float* row, long n, long width, float scale) {
  const long whole = n - n % 4, room = width - whole;
  const bool partial = whole < n;
  const Lanes last = partial ? load_last(row + whole, n - whole) : splat(kMinusInf);
  Lanes top = last;
  for (long j = 0; j < whole; j += 4) top = max(top, load(row + j));
  const float shift = max_of(top) * scale;  // the largest of scale * row: scale > 0 keeps the order
  if (shift == kMinusInf) {  // every entry masked
    std::fill(row, row + width, 0.f);
    return;
  }
  const Lanes scales = splat(scale), shifts = splat(shift);
  Lanes sum = splat(0.f);
  for (long j = 0; j < whole; j += 4) {
    const Lanes e = exp_to_zero(load(row + j) * scales - shifts);
    sum = sum + e;
    store(row + j, e);
  }
  const Lanes e_last = exp_to_zero(last * scales - shifts);  // zeros unless partial
  const Lanes total = splat(sum_of(sum + e_last));
  for (long j = 0; j < whole; j += 4) store(row + j, load(row + j) / total);
  // The last vector's padding is 0 / total = 0, so it is written whole where the row has room.
  const long written = partial ? whole + std::min(room, 4L) : n;
  if (partial) store_first(row + whole, written - whole, e_last / total);
  std::fill(row + written, row + width, 0.f);
}

void apply_rope_inplace(Mat& x, int n_heads, int d_head, float theta, int first_pos) {
  const int half = d_head / 2;
  std::vector<float> inv_freq(half);
  for (int i = 0; i < half; ++i)
    inv_freq[i] = 1.0f / std::pow(theta, static_cast<float>(2 * i) / static_cast<float>(d_head));
  for (Eigen::Index p = 0; p < x.rows(); ++p) {
    const float pos = static_cast<float>(first_pos + p);
    for (int i = 0; i < half; ++i) {
      const float angle = pos * inv_freq[i];
      const float c = std::cos(angle), s = std::sin(angle);
      for (int h = 0; h < n_heads; ++h) {
        float* head = x.row(p).data() + static_cast<Eigen::Index>(h) * d_head;
        const float a = head[i], b = head[i + half];
        head[i] = a * c - b * s;
        head[i + half] = b * c + a * s;
      }
    }
  }
}

}  // namespace strata
