// The fused causal attention kernel against the three steps the forward pass
// runs when hooks need the scores: the same z and pattern bit for bit, at
// GPT-2's and grouped-query shapes, lengths that end inside a query block (or
// below the wasm kernel's smallest product), and at every thread count; both
// against a naive softmax attention in double. Also the row softmax both use.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "base/parallel.h"
#include "random-matrix.h"
#include "tensor/attention.h"
#include "tensor/ops.h"

using strata::Mat;

namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

struct AttentionShape {
  long n;
  int n_heads, n_kv_heads, d_head;
};

struct Attention {
  Mat z, pattern;
};

Attention fused(const Mat& q, const Mat& k, const Mat& v, const AttentionShape& s) {
  Attention a;
  strata::causal_attention(q, k, v, s.n_heads, s.n_kv_heads, s.d_head, a.z, &a.pattern);
  return a;
}

Attention three_steps(const Mat& q, const Mat& k, const Mat& v, const AttentionShape& s) {
  Attention a;
  strata::causal_attention_scores(q, k, s.n_heads, s.n_kv_heads, s.d_head, a.pattern);
  strata::causal_softmax_inplace(a.pattern);
  strata::causal_attention_mix(a.pattern, v, s.n_heads, s.n_kv_heads, s.d_head, a.z);
  return a;
}

// softmax(q k^T / sqrt(d_head), causal) v per head, in double.
Attention naive(const Mat& q, const Mat& k, const Mat& v, const AttentionShape& s) {
  const long group = s.n_heads / s.n_kv_heads;
  Attention a{Mat::Zero(s.n, s.n_heads * s.d_head), Mat::Zero(s.n_heads * s.n, s.n)};
  for (long h = 0; h < s.n_heads; ++h)
    for (long i = 0; i < s.n; ++i) {
      std::vector<double> w(i + 1);
      for (long j = 0; j <= i; ++j) {
        double dot = 0;
        for (int d = 0; d < s.d_head; ++d) dot += double(q(i, h * s.d_head + d)) * k(j, (h / group) * s.d_head + d);
        w[j] = dot / std::sqrt(double(s.d_head));
      }
      const double top = *std::max_element(w.begin(), w.end());
      double sum = 0;
      for (double& x : w) sum += x = std::exp(x - top);
      for (long j = 0; j <= i; ++j) {
        a.pattern(h * s.n + i, j) = float(w[j] / sum);
        for (int d = 0; d < s.d_head; ++d) a.z(i, h * s.d_head + d) += float(w[j] / sum * v(j, (h / group) * s.d_head + d));
      }
    }
  return a;
}

float largest_diff(const Mat& a, const Mat& b) { return (a - b).cwiseAbs().maxCoeff(); }

// GPT-2 small's heads; grouped-query heads; lengths inside a 32-query block,
// of one query, and below 8 (products the wasm build leaves to Eigen).
const AttentionShape kShapes[] = {{100, 12, 12, 64}, {45, 8, 2, 32}, {33, 4, 1, 16}, {1, 4, 2, 16}, {7, 3, 3, 8}};

}  // namespace

TEST_CASE("fused attention gives the three steps' z and pattern bit for bit", "[attention]") {
  std::mt19937 rng(11);
  for (const AttentionShape& s : kShapes) {
    INFO("n " << s.n << ", heads " << s.n_heads << "/" << s.n_kv_heads << ", d_head " << s.d_head);
    // Queries scaled up so that the weights spread over many orders of magnitude.
    const Mat q = 16.f * random_matrix(s.n, s.n_heads * s.d_head, rng);
    const Mat k = random_matrix(s.n, s.n_kv_heads * s.d_head, rng);
    const Mat v = random_matrix(s.n, s.n_kv_heads * s.d_head, rng);
    const Attention one = fused(q, k, v, s), three = three_steps(q, k, v, s), reference = naive(q, k, v, s);
    CHECK(one.z == three.z);
    CHECK(one.pattern == three.pattern);
    Mat z_alone;
    strata::causal_attention(q, k, v, s.n_heads, s.n_kv_heads, s.d_head, z_alone, nullptr);
    CHECK(z_alone == one.z);
    CHECK(largest_diff(one.pattern, reference.pattern) < 1e-5f);
    CHECK(largest_diff(one.z, reference.z) < 1e-5f);
  }
}

TEST_CASE("fused attention gives the same numbers at every thread count", "[attention][parallel]") {
  std::mt19937 rng(12);
  const AttentionShape s{150, 8, 4, 64};
  const Mat q = random_matrix(s.n, s.n_heads * s.d_head, rng);
  const Mat k = random_matrix(s.n, s.n_kv_heads * s.d_head, rng);
  const Mat v = random_matrix(s.n, s.n_kv_heads * s.d_head, rng);
  const Attention alone = fused(q, k, v, s);
  for (int threads = 2; threads <= std::min(4, strata::max_thread_count()); ++threads) {
    INFO(threads << " threads");
    strata::set_thread_count(threads);
    const Attention one = fused(q, k, v, s), three = three_steps(q, k, v, s);
    strata::set_thread_count(1);
    CHECK(one.z == alone.z);
    CHECK(one.pattern == alone.pattern);
    CHECK(three.z == alone.z);
    CHECK(three.pattern == alone.pattern);
  }
}

TEST_CASE("the row softmax", "[attention]") {
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> score(-100.f, 10.f);
  SECTION("agrees with std::exp, gives 0 to -inf, and zeros to a masked row") {
    std::vector<float> x(37);
    for (float& e : x) e = score(rng);
    x[3] = x[36] = kMinusInf;
    std::vector<double> expected(x.size());
    const double top = *std::max_element(x.begin(), x.end());
    double sum = 0;
    for (size_t j = 0; j < x.size(); ++j) sum += expected[j] = std::exp(double(x[j]) - top);
    strata::softmax_inplace(x.data(), long(x.size()), long(x.size()));
    for (size_t j = 0; j < x.size(); ++j) CHECK(x[j] == Approx(expected[j] / sum).epsilon(1e-6).margin(1e-30));
    CHECK(x[3] == 0.f);
    CHECK(x[36] == 0.f);
    std::vector<float> masked(5, kMinusInf);
    strata::softmax_inplace(masked.data(), 5, 5);
    CHECK(masked == std::vector<float>(5, 0.f));
  }
  SECTION("gives a row the same numbers wherever it is stored, zeros after it, and scales as scores do") {
    for (long n : {1L, 3L, 4L, 9L, 64L}) {
      std::vector<float> row(n);
      for (float& e : row) e = score(rng);
      std::vector<float> first(row);
      strata::softmax_inplace(first.data(), n, n);
      for (long offset = 0; offset < 4; ++offset)
        for (long width : {n, n + 1, n + 3, n + 8}) {
          INFO("n " << n << ", offset " << offset << ", width " << width);
          std::vector<float> stored(offset + width, std::numeric_limits<float>::quiet_NaN());
          std::copy(row.begin(), row.end(), stored.begin() + offset);
          strata::softmax_inplace(stored.data() + offset, n, width);
          CHECK(std::equal(first.begin(), first.end(), stored.begin() + offset));
          CHECK(std::all_of(stored.begin() + offset + n, stored.end(), [](float p) { return p == 0.f; }));
        }
      const float scale = 0.125f * 1.1f;
      std::vector<float> scaled(row), unscaled(row);
      for (float& e : scaled) e *= scale;
      strata::softmax_inplace(scaled.data(), n, n);
      strata::softmax_inplace(unscaled.data(), n, n, scale);
      CHECK(scaled == unscaled);
    }
  }
}
