// Percentile bootstrap confidence intervals (Efron 1979; Efron & Tibshirani
// 1993, ch. 13).
// What it can and cannot show: docs/methods.md, "Percentile bootstrap".
//
// B resamples of n items, drawn with replacement: SeededRandom(seed) draws
// each resample's n indices with index(n), resample after resample. Each
// statistic is evaluated on every resample (the same resamples for every
// statistic, so that paired statistics such as a drop stay paired), and its
// interval is the (α/2, 1 − α/2) quantiles of the B values, α = 1 − level.
// Quantiles interpolate linearly between order statistics (Hyndman & Fan type
// 7, numpy's default): q-quantile of sorted x_0..x_{B−1} at h = q·(B − 1).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace strata {

struct Interval {
  double lower = 0, upper = 0;
};

// A statistic of a resample, given the resample's item indices (repeats allowed).
using ResampleStatistic = std::function<double(const std::vector<size_t>& indices)>;

std::vector<Interval> percentile_bootstrap(size_t n, int resamples, double level, uint64_t seed,
                                           const std::vector<ResampleStatistic>& statistics);

// The same over several strata (here: the recall items and the reasoning
// items), each resampled within itself: per resample, stratum after stratum,
// sizes[s] indices drawn with index(sizes[s]). A statistic that returns NaN on
// a resample is left out of that statistic's quantiles; an interval with no
// finite value is NaN at both ends.
using StratifiedStatistic = std::function<double(const std::vector<std::vector<size_t>>& indices)>;
std::vector<Interval> stratified_bootstrap(const std::vector<size_t>& sizes, int resamples, double level, uint64_t seed,
                                           const std::vector<StratifiedStatistic>& statistics);

// The interval of the mean of `sample`.
Interval bootstrap_mean_interval(const std::vector<double>& sample, int resamples, double level, uint64_t seed);

// Type-7 quantile of ascending `sorted` (non-empty), q in [0, 1].
double quantile_sorted(const std::vector<double>& sorted, double q);

}  // namespace strata
