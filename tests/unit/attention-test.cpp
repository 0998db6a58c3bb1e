// causal_attention_scores() and causal_attention_mix() against a naive
// computation in double, per head: grouped-query heads, lengths that end
// inside a query block, and a pattern carrying weight on future keys (as an
// intervention may write), which the blocked product must still read. Also
// matmul_strided() on sub-matrices against Eigen, and PackedB's products
// against matmul_strided()'s.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "tensor/attention.h"
#include "random-matrix.h"
#include "tensor/matmul.h"

using strata::Mat;

TEST_CASE("causal attention products agree with a naive computation", "[attention]") {
  struct Case {
    long n;
    int n_heads, n_kv_heads, d_head;
  };
  const Case cases[] = {{1, 2, 2, 8}, {5, 4, 2, 16}, {33, 3, 1, 64}, {70, 4, 4, 32}};
  std::mt19937 rng(99);
  for (const Case& c : cases) {
    INFO("n " << c.n << ", heads " << c.n_heads << "/" << c.n_kv_heads << ", d_head " << c.d_head);
    const long group = c.n_heads / c.n_kv_heads;
    const Mat q = random_matrix(c.n, c.n_heads * c.d_head, rng);
    const Mat k = random_matrix(c.n, c.n_kv_heads * c.d_head, rng);
    const Mat v = random_matrix(c.n, c.n_kv_heads * c.d_head, rng);
    Mat scores, z;
    strata::causal_attention_scores(q, k, c.n_heads, c.n_kv_heads, c.d_head, scores);
    REQUIRE(scores.rows() == c.n_heads * c.n);
    REQUIRE(scores.cols() == c.n);
    double max_diff = 0;
    for (long h = 0; h < c.n_heads; ++h)
      for (long i = 0; i < c.n; ++i)
        for (long j = 0; j < c.n; ++j) {
          const float got = scores(h * c.n + i, j);
          if (j > i) {
            REQUIRE(got == -std::numeric_limits<float>::infinity());
            continue;
          }
          double dot = 0;
          for (int d = 0; d < c.d_head; ++d)
            dot += double(q(i, h * c.d_head + d)) * k(j, (h / group) * c.d_head + d);
          max_diff = std::max(max_diff, std::fabs(got - dot / std::sqrt(double(c.d_head))));
        }
    CHECK(max_diff < 1e-5);

    // A causal pattern, then weight on a future key in head 0's first row.
    Mat pattern = random_matrix(c.n_heads * c.n, c.n, rng);
    for (long h = 0; h < c.n_heads; ++h)
      for (long i = 0; i + 1 < c.n; ++i)
        for (long j = i + 1; j < c.n; ++j) pattern(h * c.n + i, j) = 0.f;
    Mat dense = pattern;
    dense(0, c.n - 1) = 0.5f;  // head 0, query 0 also looks at the last key
    strata::causal_attention_mix(dense, v, c.n_heads, c.n_kv_heads, c.d_head, z);
    REQUIRE(z.rows() == c.n);
    REQUIRE(z.cols() == c.n_heads * c.d_head);
    max_diff = 0;
    for (long h = 0; h < c.n_heads; ++h)
      for (long i = 0; i < c.n; ++i)
        for (int d = 0; d < c.d_head; ++d) {
          double sum = 0;
          for (long j = 0; j < c.n; ++j) sum += double(dense(h * c.n + i, j)) * v(j, (h / group) * c.d_head + d);
          max_diff = std::max(max_diff, std::fabs(z(i, h * c.d_head + d) - sum));
        }
    CHECK(max_diff < 1e-4);
  }
}

TEST_CASE("matmul_strided multiplies sub-matrices in place", "[matmul]") {
  std::mt19937 rng(5);
  const Mat big_a = random_matrix(40, 50, rng), big_b = random_matrix(60, 70, rng);
  for (bool transposed : {false, true}) {
    INFO("b_transposed " << transposed);
    const long m = 17, k = 9, n = 11;
    Mat c = Mat::Constant(30, 40, 7.f);
    // A = big_a rows 3.., cols 5..; op(B) from big_b rows 2.., cols 4..; C at rows 1.., cols 2.. of c.
    strata::matmul_strided(m, n, k, big_a.data() + 3 * 50 + 5, 50, big_b.data() + 2 * 70 + 4, 70, transposed,
                           c.data() + 1 * 40 + 2, 40);
    const Mat a = big_a.block(3, 5, m, k);
    const Mat b = transposed ? Mat(big_b.block(2, 4, n, k).transpose()) : Mat(big_b.block(2, 4, k, n));
    const Mat expected = a * b;
    CHECK((c.block(1, 2, m, n) - expected).cwiseAbs().maxCoeff() < 1e-5);
    CHECK(c(0, 0) == 7.f);          // outside C untouched
    CHECK(c(1 + m, 2) == 7.f);
    CHECK(c(1, 2 + n) == 7.f);
  }
}

TEST_CASE("a packed B gives matmul_strided's products bit for bit", "[matmul]") {
  std::mt19937 rng(6);
  const long ld = 300;
  const Mat big_a = random_matrix(40, ld, rng), big_b = random_matrix(ld, ld, rng);
  const float* b = big_b.data() + 3;
  for (bool transposed : {false, true}) {
    strata::PackedB packed;
    packed.pack(290, 45, b, ld, transposed);  // two inner blocks; a partial panel
    // Every height the kernels treat apart, on all of op(B) and on leading parts of it.
    for (long m : {1L, 5L, 8L, 32L, 37L})
      for (const auto& [k, n] : {std::pair{290L, 45L}, std::pair{64L, 40L}, std::pair{7L, 3L}}) {
        INFO("b_transposed " << transposed << ", m " << m << ", k " << k << ", n " << n);
        Mat expected(m, n), got(m, n);
        strata::matmul_strided(m, n, k, big_a.data(), ld, b, ld, transposed, expected.data(), n);
        packed.multiply(m, n, k, big_a.data(), ld, got.data(), n);
        CHECK(got == expected);
      }
  }
}
