// The recall/reasoning study (Fartale et al. 2025; docs/methods.md, "The
// study") on a suite, with its nulls: per layer, head and neuron, do the
// study's features (study-features.h) at the last prompt token differ between
// recall and reasoning items — and how often does the same pipeline find such
// differences where no mechanism differs?
//
// Items (study-features.h): by default the suite's required kinds, recall
// kinds on their trained facts and reasoning kinds on held-out items (the
// circuits' sets). Items of family "mixed" (kinds "all") take no part in the
// tests; their means are reported beside the others. Sign convention:
//   d = (mean_reasoning − mean_recall) / sqrt((s²_recall + s²_reasoning) / 2)
// with sample variances (n − 1); d > 0: higher on reasoning items; U is the
// Mann–Whitney U of the reasoning items, p two-sided (statistics.h).
//
// Layers: a voting metric (hidden_norm, hidden_mean, attention_entropy,
// mlp_sparsity, mlp_mean_abs: the study's six with attention_concentration =
// 1/(1+entropy) left out, as it is the entropy again with the opposite sign)
// votes when |d| > layer_d and its Benjamini–Hochberg adjusted p ≤ layer_alpha,
// the correction taken over every layer × voting metric. With at least
// layer_min_votes votes the layer is labelled by the sign of the majority of
// its votes: "reasoning" (d > 0), "recall" (d < 0), "mixed" on a tie; else "none".
// Heads: the five head metrics vote with |d| ≥ head_d and BH (over every
// head × metric) at head_alpha; a head is "reasoning" or "recall" when at
// least head_min_votes metrics agree on that sign, "mixed" when that many
// vote but neither sign has enough, else "none".
// Neurons: labelled "reasoning" / "recall" by the sign of d when |d| > neuron_d
// and the Bonferroni-adjusted p (over every neuron of every layer) ≤ neuron_alpha.
//
// Consistency (replication on disjoint halves): `replications` times, the
// items are dealt into two halves with the seed, stratified by kind and side;
// the whole test (corrections included) runs on each half alone. A unit's
// label replicates in a draw when both halves give that label; consistency is
// the fraction of draws in which it replicates, and a label is consistent when
// consistency ≥ consistency_threshold. Halves share no item, so a label that
// reflects noise in some items does not replicate by construction. For neurons
// this is done for the top_neurons labelled neurons of largest |d|.
//
// Nulls (settings "nulls", default true): the same pipeline, thresholds and
// seed on contrasts where no recall/reasoning mechanism differs; a real label
// is worth what it is worth beside them:
//   "recall: two random halves", "reasoning: two random halves"
//       one family's items dealt, kind by kind, into two halves with the seed;
//   "recall kind vs recall kind: <a> vs <b>", "reasoning kind vs reasoning kind: <a> vs <b>"
//       the family's first two kinds by name (skipped, with the reason, when
//       the items hold fewer than two);
//   "recall vs reasoning on a randomly initialised model"
//       the real contrast on random_copy (model/random-model.h) of the model, std random_std:
//       what the prompts' tokens alone give, with no training.
// In a null, side a plays recall's part and side b reasoning's in the labels.
//
// Settings: study_settings() (below; docs/settings.md lists them; errors name
// "study.<key>").
//
// Result (keys of every object are sorted when written):
// {"items": describe_items() (the kinds with family, split and n),
//  "mlp_activation": "silu(blocks.{l}.mlp.hook_pre)",
//  "sign": "d = (mean_reasoning - mean_recall) / ...",
//  "settings": {every setting above with the value used},
//  "layers": [{"layer": l,
//              "metrics": {"<metric>": {"mean_recall", "mean_reasoning", "mean_mixed" (with mixed items),
//                                       "d", "u", "p", "votes" (bool: a voting metric),
//                                       "p_bh", "vote" (voting metrics only: "recall"|"reasoning"|null)}},
//              "votes_recall", "votes_reasoning", "label": "recall"|"reasoning"|"mixed"|"none",
//              "replication_labels": [[label on half a, on half b] per draw], "consistency", "consistent"}],
//  "heads": [{"layer", "head", "metrics": {...as layers, all five vote}, "votes_recall", "votes_reasoning",
//             "label", "replication_labels", "consistency", "consistent"}],
//  "neurons": {"tested": n_layers * d_mlp,
//              "by_layer": [{"layer", "recall", "reasoning"}],   counts of labelled neurons
//              "top": [{"layer", "neuron", "mean_recall", "mean_reasoning", "d", "u", "p", "p_bonferroni",
//                       "label", "replication_labels", "consistency", "consistent"}]},   by |d|, largest first
//  "totals": {"layers": {"n", "recall", "reasoning", "mixed", "none", "specialised", "consistent"},
//             "heads": {same},
//             "neurons": {"n", "recall", "reasoning", "task_specific", "fraction_task_specific",
//                         "top", "top_consistent"}},
//  "labels": {"layers": [label per layer], "heads": [label per head, layer-major], "totals": as above},
//  "nulls": [{"name", "sides": [a, b], "n": [n_a, n_b], "labels": as "labels", or null with
//             "skipped": the reason}]   (with nulls)}
// "specialised" counts labels other than "none"; "consistent" counts specialised
// units whose label is consistent. d is null when both groups are constant
// with different values (an infinite effect; it still votes).
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "analysis/study/study-features.h"
#include "analysis/study/study-labels.h"

namespace strata {

const SettingsTable& study_settings();
nlohmann::json run_study(const AnalysisRequest& request);

}  // namespace strata
