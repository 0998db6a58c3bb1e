// One contrast through the study's labelling pipeline (study.h gives the
// rules): every layer, head and neuron tested between two sides of the items,
// corrected for multiple tests, labelled by its votes, and its label checked
// for replication on disjoint halves. run_study passes the recall-vs-reasoning
// contrast and its nulls through the same function, so a null's labels are
// what the pipeline finds where no mechanism differs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/study/study-features.h"

namespace strata {

struct GroupComparison {
  double mean_recall = 0, mean_reasoning = 0;
  double mean_mixed = 0;
  bool has_mixed = false;
  double d = 0, u = 0, p = 1;
};

// Recall against reasoning on values[i] for the items with include[i] (every item when include is empty).
GroupComparison compare_groups(const std::vector<double>& values, const std::vector<ItemGroup>& groups,
                               const std::vector<char>& include = {});

// "none" when positive + negative < min_votes. Otherwise, by majority
// (layers): "reasoning" when positive > negative, "recall" when negative >
// positive, "mixed" on a tie; by agreement (heads): "reasoning" when positive
// ≥ min_votes, "recall" when negative ≥ min_votes, else "mixed".
std::string label_from_votes(int positive, int negative, int min_votes, bool agreeing);

// GroupComparison as JSON: {"mean_recall", "mean_reasoning", ["mean_mixed"], "d", "u", "p"}.
nlohmann::json comparison_json(const GroupComparison& c);

struct StudyThresholds {
  double layer_alpha = 0.01, layer_d = 0.8;
  int layer_min_votes = 2;
  double head_alpha = 1e-4, head_d = 1.0;
  int head_min_votes = 3;
  double neuron_alpha = 1e-4, neuron_d = 1.0;
  int top_neurons = 50;
  int replications = 5;
  double consistency_threshold = 0.8;
};

// The include masks of `replications` pairs of disjoint halves: each stratum's
// items (strata[i] ≥ 0; −1: not in the contrast) dealt into two halves with
// the seed, a new draw per replication.
std::vector<std::pair<std::vector<char>, std::vector<char>>> replication_halves(const std::vector<int>& strata,
                                                                              int replications, uint64_t seed);

struct ContrastLabels {
  nlohmann::json layers, heads, neurons, totals;  // the detailed sections of study.h's result
  std::vector<std::string> layer_labels, head_labels;
};

// groups[i]: the side item i is on (Recall or Reasoning), or Mixed for an item
// outside the contrast; strata[i]: its stratum for the halves, −1 outside.
// Progress from `from` to `to`.
ContrastLabels label_contrast(const StudyFeatures& f, const std::vector<ItemGroup>& groups,
                              const std::vector<int>& strata, const StudyThresholds& t, uint64_t seed,
                              const AnalysisRequest& request, double from, double to);

// {"layers": [label per layer], "heads": [label per head, layer-major], "totals": {...}}
nlohmann::json compact_labels(const ContrastLabels& labels);

}  // namespace strata
