// Effect size, Mann–Whitney U, multiple-testing corrections, stratified folds
// and percentiles (see statistics.h for the conventions).
#include "analysis/shared/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "base/error.h"
#include "base/seeded-random.h"

namespace strata {

double mean_of(const std::vector<double>& x) {
  if (x.empty()) return 0.0;
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double sample_variance(const std::vector<double>& x) {
  if (x.size() < 2) return 0.0;
  const double m = mean_of(x);
  double ss = 0.0;
  for (double v : x) ss += (v - m) * (v - m);
  return ss / static_cast<double>(x.size() - 1);
}

double cohens_d(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2)
    fail_expected("Cohen's d: sample sizes", "at least 2 values in each group",
                  std::to_string(a.size()) + " and " + std::to_string(b.size()));
  const double diff = mean_of(b) - mean_of(a);
  const double pooled = std::sqrt((sample_variance(a) + sample_variance(b)) / 2.0);
  if (pooled > 0.0) return diff / pooled;
  if (diff == 0.0) return 0.0;
  return diff > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

// --- Mann–Whitney U ---------------------------------------------------------

namespace {

double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// P(U ≥ u) under the null for samples of sizes m and n without ties, from the
// exact distribution. Built with the recursion
//   P_{i,j}(u) = i/(i+j) · P_{i−1,j}(u − j) + j/(i+j) · P_{i,j−1}(u)
// (the largest of i + j values belongs to the first sample or to the second),
// which only adds positive terms, so small tail probabilities stay accurate.
double exact_upper_tail(int m, int n, double u) {
  const int max_u = m * n;
  // dist[i] = distribution of U for sizes (i, j) at the current j
  std::vector<std::vector<double>> dist(m + 1, std::vector<double>(max_u + 1, 0.0));
  for (int i = 0; i <= m; ++i) dist[i][0] = 1.0;  // j = 0: U is 0
  for (int j = 1; j <= n; ++j) {
    // i = 0: U is 0 for any j; update i ascending so dist[i − 1] already holds (i − 1, j)
    for (int i = 1; i <= m; ++i) {
      const double from_first = static_cast<double>(i) / (i + j), from_second = static_cast<double>(j) / (i + j);
      std::vector<double>& cur = dist[i];  // holds (i, j − 1)
      const std::vector<double>& lower = dist[i - 1];
      for (int v = std::min(max_u, i * j); v >= 0; --v) {
        const double shifted = v >= j ? lower[v - j] : 0.0;
        cur[v] = from_first * shifted + from_second * cur[v];
      }
    }
  }
  const int start = static_cast<int>(std::ceil(u - 1e-9));
  double tail = 0.0;
  for (int v = max_u; v >= std::max(start, 0); --v) tail += dist[m][v];
  return tail;
}

}  // namespace

RankTest mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty())
    fail_expected("Mann-Whitney U: sample sizes", "at least 1 value in each group",
                  std::to_string(a.size()) + " and " + std::to_string(b.size()));
  const size_t na = a.size(), nb = b.size(), n = na + nb;
  // midranks of the pooled sample, and the tie term Σ (t³ − t)
  std::vector<std::pair<double, int>> pooled;  // (value, 1 if from b)
  pooled.reserve(n);
  for (double v : a) pooled.push_back({v, 0});
  for (double v : b) pooled.push_back({v, 1});
  std::sort(pooled.begin(), pooled.end());
  double rank_sum_b = 0.0, tie_term = 0.0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && pooled[j + 1].first == pooled[i].first) ++j;
    const double midrank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    for (size_t k = i; k <= j; ++k)
      if (pooled[k].second) rank_sum_b += midrank;
    i = j + 1;
  }
  const double n1 = static_cast<double>(nb), n2 = static_cast<double>(na);
  RankTest out;
  out.u = rank_sum_b - n1 * (n1 + 1.0) / 2.0;
  const double u_max = std::max(out.u, n1 * n2 - out.u);
  const bool ties = tie_term > 0.0;
  if (!ties && std::min(na, nb) <= 8) {
    out.exact = true;
    const int small = static_cast<int>(std::min(na, nb)), large = static_cast<int>(std::max(na, nb));
    out.p = std::min(1.0, 2.0 * exact_upper_tail(small, large, u_max));  // U's law is symmetric in the sizes
    return out;
  }
  const double nn = static_cast<double>(n);
  const double s = std::sqrt(n1 * n2 / 12.0 * ((nn + 1.0) - tie_term / (nn * (nn - 1.0))));
  if (!(s > 0.0)) {  // every value tied: no evidence either way
    out.p = 1.0;
    return out;
  }
  const double z = (u_max - n1 * n2 / 2.0 - 0.5) / s;
  out.p = std::min(1.0, 2.0 * normal_sf(z));
  return out;
}

// --- multiple testing --------------------------------------------------------

std::vector<double> benjamini_hochberg(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  std::vector<double> adjusted(m);
  double running = 1.0;
  for (size_t r = m; r-- > 0;) {
    const size_t i = order[r];
    running = std::min(running, p[i] * static_cast<double>(m) / static_cast<double>(r + 1));
    adjusted[i] = std::min(1.0, running);
  }
  return adjusted;
}

std::vector<double> bonferroni(const std::vector<double>& p) {
  std::vector<double> out(p.size());
  for (size_t i = 0; i < p.size(); ++i) out[i] = std::min(1.0, p[i] * static_cast<double>(p.size()));
  return out;
}

// --- folds and percentiles -----------------------------------------------------

std::vector<int> stratified_folds(const std::vector<int>& groups, int k, uint64_t seed) {
  if (k < 2) fail_expected("folds", "at least 2", std::to_string(k));
  int n_groups = 0;
  for (int g : groups) {
    if (g < 0) fail_expected("folds: group", "a non-negative integer", std::to_string(g));
    n_groups = std::max(n_groups, g + 1);
  }
  PortableRandom rng(seed);
  std::vector<int> fold(groups.size(), 0);
  for (int g = 0; g < n_groups; ++g) {
    std::vector<size_t> members;
    for (size_t i = 0; i < groups.size(); ++i)
      if (groups[i] == g) members.push_back(i);
    for (size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[rng.below(static_cast<uint32_t>(i))]);
    for (size_t r = 0; r < members.size(); ++r) fold[members[r]] = static_cast<int>(r % k);
  }
  return fold;
}

double percentile(std::vector<double> x, double q) {
  if (x.empty()) throw Error("percentile: no values");
  if (!(q >= 0.0 && q <= 1.0)) fail_expected("percentile: q", "a number in [0, 1]", std::to_string(q));
  std::sort(x.begin(), x.end());
  const double pos = q * static_cast<double>(x.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (pos - static_cast<double>(lo)) * (x[hi] - x[lo]);
}

}  // namespace strata
