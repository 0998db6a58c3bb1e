// The two chosen circuits on the test items: effects and drops with 95%
// intervals, the double-dissociation contrast, the random-circuit nulls and
// the verdict.
//
// Intervals: one stratified percentile bootstrap (bootstrap.h) over the test
// items, recall and reasoning items resampled separately, the same resamples
// for every figure (intact and ablated stay paired; both circuits and the
// contrast share them). A drop where no item's correctness changed has no
// spread to resample: its interval is [0, u] with u the exact (Clopper–
// Pearson) upper 95% bound of the share of items that changed, 1 − 0.025^(1/n),
// over the distance from intact accuracy to chance.
//
// Contrast (double dissociation), in effect points:
//   (effect_recall(R) − effect_reasoning(R)) − (effect_recall(Q) − effect_reasoning(Q))
// for the recall circuit R and the reasoning circuit Q.
//
// Null, per circuit: `draws` random circuits with the same number of
// components of each kind (head, MLP, attention block; whole or restricted),
// drawn uniformly among such circuits other than the found one (a seeded
// draw), each scored by the search objective on the null items; the
// percentile is the share of draws the circuit beats, ties counting half.
// When no other circuit of that mix exists the null is empty and fails.
//
// Verdict, with fixed thresholds (never tuned): separated when, for both
// circuits, the target effect's lower bound ≥ 30 points, the collateral
// effect's upper bound ≤ 5 points and the null percentile ≥ 95, and the
// contrast's interval lies above 0.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/shared/bootstrap.h"
#include "analysis/circuits/circuit-search.h"

namespace strata {

struct FamilyFigures {
  size_t n = 0;
  double effect = 0, drop = 0;  // points
  Interval effect_ci, drop_ci;  // points
  double accuracy_intact = 0, accuracy_ablated = 0, chance = 0;
  nlohmann::json to_json() const;
};

struct CircuitFigures {
  FamilyFigures recall, reasoning;
};

struct TestFigures {
  CircuitFigures circuit[2];  // [0] the recall circuit, [1] the reasoning circuit
  double contrast = 0;
  Interval contrast_ci;
};

TestFigures test_figures(CircuitScorer& test, const Subset& recall_circuit, const Subset& reasoning_circuit,
                         const CircuitFamilies& families, const std::vector<double>& chances, int resamples,
                         uint64_t seed);

struct NullFigures {
  size_t n = 0;               // draws
  double percentile = 0;      // NaN when n == 0
  double statistic = 0;       // the circuit's objective on the null items
  std::vector<ScoredSubset> distinct;  // the distinct random circuits drawn, in draw order
  nlohmann::json to_json(const std::vector<CircuitComponent>& candidates) const;
};

NullFigures null_figures(CircuitScorer& null_items, const std::vector<CircuitComponent>& candidates,
                         const Subset& circuit, bool recall_target, double penalty, const CircuitFamilies& families,
                         const std::vector<double>& chances, int draws, uint64_t seed);

struct Verdict {
  bool separated = false;
  std::string statement;
};

Verdict circuits_verdict(const TestFigures& test, const NullFigures nulls[2], const size_t sizes[2]);

}  // namespace strata
