// Percentile bootstrap.
#include "analysis/shared/bootstrap.h"

#include <algorithm>
#include <cmath>

#include "base/seeded-random.h"
#include "base/error.h"

namespace strata {

double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double h = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::vector<Interval> percentile_bootstrap(size_t n, int resamples, double level, uint64_t seed,
                                           const std::vector<ResampleStatistic>& statistics) {
  if (n == 0) throw Error("bootstrap: no items to resample");
  if (resamples < 1) throw Error("bootstrap: needs at least one resample");
  if (!(level > 0 && level < 1)) fail_expected("bootstrap: level", "a number in (0, 1)", std::to_string(level));
  SeededRandom rng(seed);
  std::vector<std::vector<double>> values(statistics.size());
  std::vector<size_t> indices(n);
  for (int b = 0; b < resamples; ++b) {
    for (size_t& i : indices) i = static_cast<size_t>(rng.index(n));
    for (size_t s = 0; s < statistics.size(); ++s) values[s].push_back(statistics[s](indices));
  }
  const double alpha = 1.0 - level;
  std::vector<Interval> out;
  for (std::vector<double>& v : values) {
    std::sort(v.begin(), v.end());
    out.push_back({quantile_sorted(v, alpha / 2), quantile_sorted(v, 1 - alpha / 2)});
  }
  return out;
}

std::vector<Interval> stratified_bootstrap(const std::vector<size_t>& sizes, int resamples, double level, uint64_t seed,
                                           const std::vector<StratifiedStatistic>& statistics) {
  for (size_t n : sizes)
    if (n == 0) throw Error("bootstrap: a stratum has no items to resample");
  if (resamples < 1) throw Error("bootstrap: needs at least one resample");
  if (!(level > 0 && level < 1)) fail_expected("bootstrap: level", "a number in (0, 1)", std::to_string(level));
  SeededRandom rng(seed);
  std::vector<std::vector<double>> values(statistics.size());
  std::vector<std::vector<size_t>> indices(sizes.size());
  for (size_t s = 0; s < sizes.size(); ++s) indices[s].resize(sizes[s]);
  for (int b = 0; b < resamples; ++b) {
    for (size_t s = 0; s < sizes.size(); ++s)
      for (size_t& i : indices[s]) i = static_cast<size_t>(rng.index(sizes[s]));
    for (size_t k = 0; k < statistics.size(); ++k) {
      const double v = statistics[k](indices);
      if (std::isfinite(v)) values[k].push_back(v);
    }
  }
  const double alpha = 1.0 - level;
  std::vector<Interval> out;
  for (std::vector<double>& v : values) {
    if (v.empty()) {
      out.push_back({std::nan(""), std::nan("")});
      continue;
    }
    std::sort(v.begin(), v.end());
    out.push_back({quantile_sorted(v, alpha / 2), quantile_sorted(v, 1 - alpha / 2)});
  }
  return out;
}

Interval bootstrap_mean_interval(const std::vector<double>& sample, int resamples, double level, uint64_t seed) {
  const ResampleStatistic mean = [&](const std::vector<size_t>& indices) {
    double s = 0;
    for (size_t i : indices) s += sample[i];
    return s / static_cast<double>(indices.size());
  };
  return percentile_bootstrap(sample.size(), resamples, level, seed, {mean})[0];
}

}  // namespace strata
