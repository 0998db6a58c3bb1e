// The study's statistics against values computed independently: scipy 1.10.1
// (Debian's python3-scipy; the exact call is beside each value), numpy, and
// hand-worked examples.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "analysis/shared/statistics.h"
#include "base/seeded-random.h"

using namespace strata;

TEST_CASE("Cohen's d uses the mean of the two sample variances", "[statistics]") {
  // means 3 and 5, sample variances 2.5 and 2.5: d = 2 / sqrt(2.5)
  const std::vector<double> recall = {1, 2, 3, 4, 5}, reasoning = {3, 4, 5, 6, 7};
  CHECK(cohens_d(recall, reasoning) == Approx(2.0 / std::sqrt(2.5)).epsilon(1e-12));
  CHECK(cohens_d(reasoning, recall) == Approx(-2.0 / std::sqrt(2.5)).epsilon(1e-12));
  // unequal variances: {1, 2, 3} (mean 2, variance 1) and {5, 9, 13, 17} (mean 11)
  const std::vector<double> a = {1, 2, 3}, b = {5, 9, 13, 17};
  // var(b) = ((−6)² + (−2)² + 2² + 6²) / 3 = 80 / 3
  CHECK(cohens_d(a, b) == Approx(9.0 / std::sqrt((1.0 + 80.0 / 3.0) / 2.0)).epsilon(1e-12));
  CHECK(sample_variance(b) == Approx(80.0 / 3.0).epsilon(1e-12));
  // constant groups
  CHECK(cohens_d({2, 2}, {2, 2}) == 0.0);
  CHECK(std::isinf(cohens_d({1, 1}, {2, 2})));
  CHECK(cohens_d({1, 1}, {2, 2}) > 0);
  CHECK_THROWS_WITH(cohens_d({1}, {2, 3}), Catch::Contains("at least 2 values in each group"));
}

TEST_CASE("Mann-Whitney U matches scipy", "[statistics]") {
  SECTION("ties: normal approximation with tie and continuity corrections") {
    const std::vector<double> a = {1.2, 3.4, 2.2, 5.0, 3.4, 0.7, 2.2, 4.1, 6.3, 1.9};
    const std::vector<double> b = {3.4, 5.5, 6.1, 2.2, 7.0, 4.4, 5.9, 3.4, 8.2, 6.6, 5.0};
    // scipy.stats.mannwhitneyu(b, a, alternative='two-sided', method='asymptotic') -> (89.5, 0.016130301514214306)
    const RankTest t = mann_whitney_u(a, b);
    CHECK_FALSE(t.exact);
    CHECK(t.u == 89.5);
    CHECK(t.p == Approx(0.016130301514214306).epsilon(1e-10));
    // the p-value does not depend on the order; U becomes n_a n_b − U
    const RankTest r = mann_whitney_u(b, a);
    CHECK(r.u == 10 * 11 - 89.5);
    CHECK(r.p == Approx(t.p).epsilon(1e-12));
  }
  SECTION("small samples without ties: exact") {
    const std::vector<double> a = {0.3, 1.7, 2.9, 0.8, 1.1}, b = {2.4, 3.3, 4.0, 1.9, 3.8, 2.6};
    // scipy.stats.mannwhitneyu(b, a, method='exact') -> (27.0, 0.030303030303030304)
    const RankTest t = mann_whitney_u(a, b);
    CHECK(t.exact);
    CHECK(t.u == 27.0);
    CHECK(t.p == Approx(0.030303030303030304).epsilon(1e-12));
  }
  SECTION("one sample of 7, one of 30, no ties: exact") {
    const std::vector<double> a = {0.31, 0.74, 0.12, 0.95, 0.57, 0.44, 0.81};
    std::vector<double> b;
    for (int i = 0; i < 30; ++i) b.push_back(0.05 * i + 0.013);
    // scipy.stats.mannwhitneyu(b, a, method='exact') -> (130.0, 0.34998803357437136); 'auto' gives the same
    const RankTest t = mann_whitney_u(a, b);
    CHECK(t.exact);
    CHECK(t.u == 130.0);
    CHECK(t.p == Approx(0.34998803357437136).epsilon(1e-10));
  }
  SECTION("large samples: small p-values keep their precision") {
    std::vector<double> a, b;
    for (int i = 0; i < 40; ++i) a.push_back(i / 10.0);
    for (int i = 0; i < 50; ++i) b.push_back((i + 25) / 10.0);
    // a = [i/10 for i in range(40)], b = [(i+25)/10 for i in range(50)]
    // scipy.stats.mannwhitneyu(b, a, method='asymptotic') -> (1887.5, 5.895971826286416e-13)
    RankTest t = mann_whitney_u(a, b);
    CHECK(t.u == 1887.5);
    CHECK(t.p == Approx(5.895971826286416e-13).epsilon(1e-8));
    a.clear();
    b.clear();
    for (int i = 0; i < 60; ++i) a.push_back(i / 10.0);
    for (int i = 0; i < 60; ++i) b.push_back((i + 70) / 10.0);
    // scipy.stats.mannwhitneyu(b, a, method='asymptotic') -> (3600.0, 3.5565709749847226e-21)
    t = mann_whitney_u(a, b);
    CHECK(t.u == 3600.0);
    CHECK(t.p == Approx(3.5565709749847226e-21).epsilon(1e-8));
  }
  SECTION("every value tied: p = 1") {
    const RankTest t = mann_whitney_u({1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
    CHECK(t.p == 1.0);
    CHECK(t.u == 45.0);
  }
}

TEST_CASE("Benjamini-Hochberg on a hand-worked example", "[statistics]") {
  // sorted: 0.005 (#4), 0.01 (#1), 0.03 (#3), 0.04 (#2), 0.20 (#5); m p / rank:
  // 0.025, 0.025, 0.05, 0.05, 0.2; running minimum from the largest rank down
  // leaves them as they are, so in input order:
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005, 0.20};
  const std::vector<double> adjusted = benjamini_hochberg(p);
  const std::vector<double> expected = {0.025, 0.05, 0.05, 0.025, 0.2};
  REQUIRE(adjusted.size() == expected.size());
  for (size_t i = 0; i < p.size(); ++i) CHECK(adjusted[i] == Approx(expected[i]).epsilon(1e-12));
  // the step-up: at alpha 0.05 the four smallest are rejected, at 0.03 the two smallest
  int at_05 = 0, at_03 = 0;
  for (double q : adjusted) {
    at_05 += q <= 0.05;
    at_03 += q <= 0.03;
  }
  CHECK(at_05 == 4);
  CHECK(at_03 == 2);

  // a running minimum that matters: m p / rank = 0.04, 0.06, 0.04 -> 0.04, 0.04, 0.04
  const std::vector<double> q = benjamini_hochberg({0.02, 0.04, 0.04});
  for (double x : q) CHECK(x == Approx(0.04).epsilon(1e-12));
  CHECK(benjamini_hochberg({0.9, 0.8})[0] == Approx(0.9));
  CHECK(benjamini_hochberg({0.9, 0.8})[1] == Approx(0.9));
}

TEST_CASE("Bonferroni multiplies by the number of tests, capped at 1", "[statistics]") {
  const std::vector<double> b = bonferroni({1e-6, 0.01, 0.5});
  CHECK(b[0] == Approx(3e-6));
  CHECK(b[1] == Approx(0.03));
  CHECK(b[2] == 1.0);
}

TEST_CASE("stratified folds partition the items and balance every group", "[statistics]") {
  std::vector<int> groups;
  for (int i = 0; i < 23; ++i) groups.push_back(0);
  for (int i = 0; i < 17; ++i) groups.push_back(1);
  for (int i = 0; i < 4; ++i) groups.push_back(2);
  const int k = 5;
  const std::vector<int> fold = stratified_folds(groups, k, 42);
  REQUIRE(fold.size() == groups.size());
  for (int f : fold) CHECK((f >= 0 && f < k));  // every item in exactly one fold
  for (int g = 0; g < 3; ++g) {
    std::vector<int> per_fold(k, 0);
    int n = 0;
    for (size_t i = 0; i < groups.size(); ++i)
      if (groups[i] == g) {
        ++per_fold[fold[i]];
        ++n;
      }
    for (int c : per_fold) CHECK((c == n / k || c == (n + k - 1) / k));
  }
  CHECK(stratified_folds(groups, k, 42) == fold);  // seeded
  CHECK(stratified_folds(groups, k, 43) != fold);
  CHECK_THROWS_WITH(stratified_folds(groups, 1, 0), Catch::Contains("folds: expected at least 2"));
}

TEST_CASE("percentiles interpolate linearly like numpy", "[statistics]") {
  const std::vector<double> x = {3, 1, 4, 1, 5, 9, 2, 6};
  // numpy.percentile([3,1,4,1,5,9,2,6], [0,10,50,95,100]) -> [1, 1, 3.5, 7.95, 9]
  CHECK(percentile(x, 0.0) == 1.0);
  CHECK(percentile(x, 0.1) == Approx(1.0));
  CHECK(percentile(x, 0.5) == Approx(3.5));
  CHECK(percentile(x, 0.95) == Approx(7.95));
  CHECK(percentile(x, 1.0) == 9.0);
  CHECK_THROWS_WITH(percentile({}, 0.5), Catch::Contains("no values"));
}

TEST_CASE("portable random numbers are seeded and in range", "[statistics]") {
  PortableRandom a(7), b(7);
  std::set<uint32_t> seen;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < 20000; ++i) {
    const uint32_t x = a.below(10);
    CHECK(x == b.below(10));
    seen.insert(x);
    const double z = a.normal();
    b.normal();
    sum += z;
    sum_sq += z * z;
  }
  CHECK(seen.size() == 10);
  CHECK(std::abs(sum / 20000) < 0.05);                   // mean 0 within 3.5 standard errors
  CHECK(std::abs(sum_sq / 20000 - 1.0) < 0.05);          // variance 1
}
