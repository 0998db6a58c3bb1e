// The recall/reasoning study (Fartale et al. 2025; METHODS.md) on a suite:
// per layer, head and neuron, do the study's features (study-features.h) at
// the last prompt token differ between recall and reasoning items?
//
// Groups: items of family "recall" against items of family "reasoning";
// items of family "mixed" take no part in the tests, their means are reported
// beside the others. Sign convention, everywhere:
//   d = (mean_reasoning − mean_recall) / sqrt((s²_recall + s²_reasoning) / 2)
// with sample variances (n − 1); d > 0: higher on reasoning items; U is the
// Mann–Whitney U of the reasoning items, p two-sided (statistics.h).
//
// Layers: a voting metric (the study's six: hidden_norm, hidden_mean,
// attention_entropy, attention_concentration, mlp_sparsity, mlp_mean_abs)
// votes when |d| > layer_d and its Benjamini–Hochberg adjusted p ≤ layer_alpha,
// the correction taken over every layer × voting metric. With at least
// layer_min_votes votes the layer is labelled by the sign of the majority of
// its votes: "reasoning" (d > 0), "recall" (d < 0), "mixed" on a tie; else
// "none". Note that the metrics have no common direction (higher entropy
// means lower concentration), as in the study.
// Heads: the five head metrics vote with |d| ≥ head_d and BH (over every
// head × metric) at head_alpha; a head is "reasoning" or "recall" when at
// least head_min_votes metrics agree on that sign, "mixed" when that many
// vote but neither sign has enough, else "none".
// Neurons: labelled "reasoning" / "recall" by the sign of d when |d| > neuron_d
// and the Bonferroni-adjusted p (over every neuron of every layer) ≤ neuron_alpha.
// Consistency: the items are split into `folds` folds, stratified by kind
// (hence by family) with the request's seed; the whole test (corrections
// included) is repeated on each fold's complement (the other folds' items),
// and consistency is the fraction of folds whose label equals the label on
// all items; a label is consistent when consistency ≥ fold_consistency. For
// neurons this is done for the top_neurons labelled neurons of largest |d|.
//
// Settings (errors name "study.<key>"):
//   items_per_kind, split, kinds     which items (study-features.h)
//   mlp_activation                   "gate" (default) | "post"
//   folds 5, fold_consistency 0.8
//   layer_alpha 0.01, layer_d 0.8, layer_min_votes 2
//   head_alpha 1e-4, head_d 1.0, head_min_votes 3
//   neuron_alpha 1e-4, neuron_d 1.0, top_neurons 50
//
// Result (keys of every object are sorted when written):
// {"items": describe_items(),  "mlp_activation": "silu(blocks.{l}.mlp.hook_pre)",
//  "sign": "d = (mean_reasoning - mean_recall) / ...",
//  "settings": {every setting above with the value used},
//  "layers": [{"layer": l,
//              "metrics": {"<metric>": {"mean_recall", "mean_reasoning", "mean_mixed" (with mixed items),
//                                       "d", "u", "p", "votes" (bool: a voting metric),
//                                       "p_bh", "vote" (voting metrics only: "recall"|"reasoning"|null)}},
//              "votes_recall", "votes_reasoning", "label": "recall"|"reasoning"|"mixed"|"none",
//              "fold_labels": [label per fold], "consistency": fraction, "consistent": bool}],
//  "heads": [{"layer", "head", "metrics": {...as layers, all five vote}, "votes_recall", "votes_reasoning",
//             "label", "fold_labels", "consistency", "consistent"}],
//  "neurons": {"tested": n_layers * d_mlp,
//              "by_layer": [{"layer", "recall", "reasoning"}],   counts of labelled neurons
//              "top": [{"layer", "neuron", "mean_recall", "mean_reasoning", "d", "u", "p", "p_bonferroni",
//                       "label", "fold_labels", "consistency", "consistent"}]},   by |d|, largest first
//  "totals": {"layers": {"n", "recall", "reasoning", "mixed", "none", "specialised", "consistent"},
//             "heads": {same},
//             "neurons": {"n", "recall", "reasoning", "task_specific", "fraction_task_specific",
//                         "top", "top_consistent"}}}
// "specialised" counts labels other than "none"; "consistent" counts specialised
// units whose label is consistent. d is null when both groups are constant
// with different values (an infinite effect; it still votes).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/study-features.h"

namespace strata {

nlohmann::json run_study(const AnalysisRequest& request);

// --- the pieces, shared with the neurons analysis and reachable by tests ----------

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

}  // namespace strata
