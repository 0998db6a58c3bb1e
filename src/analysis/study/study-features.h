// The features of the recall/reasoning study (docs/methods.md, "Features"), read at the last
// prompt token of each suite item, and the choice of items they are read on.
//
// Per layer l (9 metrics; the five voting metrics are marked *: the study's
// six, with entropy and concentration counted once):
//   hidden_norm*, hidden_mean*, hidden_std   of blocks.{l}.hook_resid_post (L2 norm; mean
//                                            and population std over d_model)
//   attention_entropy*                       mean over heads of the last query row's entropy
//                                            H = −Σ p ln p of blocks.{l}.attn.hook_pattern
//   attention_max                            mean over heads of that row's largest weight
//   attention_concentration                  1 / (1 + H) with H the head-averaged entropy: a
//                                            monotone function of attention_entropy, so the two
//                                            are one measure and only the entropy votes
//   mlp_sparsity*, mlp_mean_abs*, mlp_variance   of the MLP activation a at the last token:
//                                            fraction |a| < 0.01, mean |a|, population variance
// Per head (5 metrics), on the last query row p[0..n) of the head's pattern:
//   entropy, max_weight, self_weight (p[n−1]), std (population std of the n weights),
//   gini (Gini coefficient of the n weights: 0 uniform, (n−1)/n one-hot)
// Per neuron: the MLP activation a itself.
//
// The MLP activation: with mlp_activation "gate" (the study's choice) it is
// the activation function applied to the gate, act(blocks.{l}.mlp.hook_pre) —
// silu(gate) for LLaMA/Qwen2, which is blocks.{l}.mlp.hook_post for GPT-2's
// ungated MLP; with "post" it is blocks.{l}.mlp.hook_post for every model
// (act(gate) · up for gated MLPs: the value the down projection reads).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/shared/item-selection.h"
#include "io/suite.h"
#include "model/forward.h"
#include "model/session.h"

namespace strata {

// --- items ---------------------------------------------------------------------

enum class ItemGroup : int { Recall = 0, Reasoning = 1, Mixed = 2 };
const char* group_name(ItemGroup group);

struct StudyItems {
  std::vector<const SuiteItem*> items;  // in suite order
  std::vector<std::vector<int32_t>> tokens;
  std::vector<ItemGroup> groups;
  std::vector<int> kind_index;  // index of the item's kind among the suite's kinds (sorted by name)
  // {kind: items left out as answered wrong}; null when the suite has no marks (analysis.h answered_wrong)
  nlohmann::json answered_wrong;
  size_t count(ItemGroup group) const;
};

// Runs `model` on item i; an error names the item ("suite item \"city-001\": run: ...").
RunResult run_item(const Model& model, const StudyItems& items, size_t i, const RunOptions& options);

// Throws Error naming `analysis` when fewer than two recall or two reasoning items remain.
StudyItems select_study_items(const Session& session, const Suite& suite, const ItemSelection& selection,
                              uint64_t seed, const std::string& analysis);

// {"recall": n, "reasoning": n, "mixed": n, "by_kind": {kind: n},
//  "kinds": [{"kind", "family", "split", "n"}],
//  "prompt_tokens": {"recall": {"min", "max"}, "reasoning": {...}, "mixed": {...}},
//  "answered_wrong": {kind: n}?,   (when the suite marks the items the model answers wrong: those left out)
//  "answered": "all"?}             (when the setting keeps them)
nlohmann::json describe_items(const StudyItems& items, const ItemSelection& selection);

// --- features ------------------------------------------------------------------

enum class MlpActivation { Gate, Post };
Setting mlp_activation_setting();
Setting random_std_setting();  // "random_std": the random model's weight std (model/random-model.h)  // "mlp_activation": "gate" (default) | "post"
MlpActivation read_mlp_activation(SettingsReader& settings);
// The hook the activation is read from, and how ("act(blocks.{l}.mlp.hook_pre)").
std::string mlp_activation_source(const ModelConfig& config, MlpActivation activation);

struct MetricInfo {
  const char* name;
  bool votes;  // one of the study's six layer metrics
};
const std::vector<MetricInfo>& layer_metrics();  // the 9 per-layer metrics, in output order
const std::vector<MetricInfo>& head_metrics();   // the 5 per-head metrics

struct FeatureRequest {
  bool layers = true;
  bool heads = true;
  bool neurons = true;
  MlpActivation mlp = MlpActivation::Gate;
};

struct StudyFeatures {
  int n_layers = 0, n_heads = 0, d_mlp = 0;
  std::vector<std::vector<std::vector<double>>> layer;  // [metric][layer][item]
  std::vector<std::vector<std::vector<double>>> head;   // [metric][layer * n_heads + head][item]
  std::vector<Mat> neurons;                             // [layer] (n_items, d_mlp)
};

// Runs the model once per item, capturing only the hooks the request needs:
// the session's model, or `model` when given (a random model of the same shape).
// Progress goes from `from` to `to` of the request's fraction.
StudyFeatures extract_study_features(const AnalysisRequest& request, const StudyItems& items,
                                     const FeatureRequest& what, double from, double to, const Model* model = nullptr);

// The five head metrics of one attention row (n weights summing to 1), in head_metrics() order.
std::vector<double> attention_row_metrics(const float* row, int n);
double gini_coefficient(std::vector<double> x);  // x ≥ 0, not all zero

}  // namespace strata
