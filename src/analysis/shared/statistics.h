// The statistics of the recall/reasoning study (docs/methods.md, "The study's statistics"), as pure functions
// on samples: effect size, rank test, multiple-testing corrections, seeded
// stratified folds and percentiles. Nothing here knows about models.
//
// Conventions, fixed for every caller:
//   - cohens_d(a, b) = (mean(b) − mean(a)) / sqrt((s²_a + s²_b) / 2) with the
//     sample variances (denominator n − 1). The study calls it with
//     a = recall, b = reasoning, so d > 0 means "higher for reasoning".
//   - mann_whitney_u(a, b) is two-sided and reports U of sample b (the number
//     of pairs in which b's value is larger, ties counting ½), as
//     scipy.stats.mannwhitneyu(b, a) does. p is exact when there are no ties
//     and the smaller sample has at most 8 values, otherwise the normal
//     approximation with tie correction and continuity correction — the same
//     choice as scipy's method="auto" (1.10).
#pragma once

#include <cstdint>
#include <vector>

namespace strata {

double mean_of(const std::vector<double>& x);
// Sample variance (denominator n − 1); 0 for fewer than two values.
double sample_variance(const std::vector<double>& x);

// ±infinity when both samples are constant with different means; 0 when the
// means are equal and the pooled deviation is 0. Needs two values per sample.
double cohens_d(const std::vector<double>& a, const std::vector<double>& b);

struct RankTest {
  double u = 0;  // U of sample b
  double p = 1;  // two-sided
  bool exact = false;
};
RankTest mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

// Benjamini–Hochberg adjusted p-values, in the input order:
// p̃_(i) = min over j ≥ i of min(1, m · p_(j) / j) for the sorted p_(1) ≤ … ≤ p_(m).
// A hypothesis is rejected at FDR level α exactly when p̃ ≤ α.
std::vector<double> benjamini_hochberg(const std::vector<double>& p);
// min(1, m · p) for each of the m p-values.
std::vector<double> bonferroni(const std::vector<double>& p);

// Assigns each item a fold in [0, k): within each group the items are shuffled
// (Fisher–Yates on mt19937 raw output, the same on every platform) and dealt
// round-robin, so every fold gets ⌊n_g/k⌋ or ⌈n_g/k⌉ items of group g.
// groups[i] is item i's group (any small non-negative integers).
std::vector<int> stratified_folds(const std::vector<int>& groups, int k, uint64_t seed);

// The q-quantile (q in [0, 1]) with linear interpolation between order
// statistics, as numpy.percentile(x, 100 q) by default. x must not be empty.
double percentile(std::vector<double> x, double q);

}  // namespace strata
