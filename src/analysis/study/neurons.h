// The most task-specific MLP neurons of each layer and how their activations
// are distributed on recall and on reasoning items: the data of the page's
// neurons view.
// What it can and cannot show: docs/methods.md, "Neurons".
//
// Each neuron's activation a is read at the last prompt token (study-features.h:
// the gate activation by default); recall and reasoning items are compared as
// in the study (study.h: d = (mean_reasoning − mean_recall) / pooled sample
// std, two-sided Mann–Whitney U, Bonferroni over every neuron of every layer).
// The top_per_layer neurons of largest |d| are reported per layer whether or
// not they pass the thresholds; "label" says whether they do.
//
// Settings: neurons_settings() (below; docs/settings.md lists them; errors
// name "neurons.<key>"). A neuron is labelled when p_bonferroni ≤ alpha and
// |d| > d.
//
// Result:
// {"items": describe_items(), "mlp_activation": "silu(blocks.{l}.mlp.hook_pre)",
//  "quantile_levels": [0.05, 0.25, 0.5, 0.75, 0.95],
//  "settings": {every setting with the value used},
//  "layers": [{"layer": l, "recall": n labelled recall, "reasoning": n labelled reasoning,
//              "neurons": [{"neuron", "d", "u", "p", "p_bonferroni", "mean_recall", "mean_reasoning",
//                           "label": "recall"|"reasoning"|"none",
//                           "bin_edges": [bins + 1 edges, shared by both groups: min to max over all items],
//                           "recall":    {"counts": [bins], "quantiles": [5], "firing": fraction a > 0},
//                           "reasoning": {...},
//                           "mixed":     {...} (only when the items include mixed ones)}]}]}
// Histogram bins are [e_i, e_{i+1}), the last one closed; a constant neuron has
// one value in every edge and all its items in the first bin.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "analysis/analysis.h"

namespace strata {

const SettingsTable& neurons_settings();
nlohmann::json run_neurons(const AnalysisRequest& request);

// Counts of x in `bins` equal-width bins over [lo, hi] (the last bin closed).
std::vector<int> histogram_counts(const std::vector<double>& x, double lo, double hi, int bins);

}  // namespace strata
