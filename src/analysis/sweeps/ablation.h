// Ablation sweeps: knock out one component at a time and measure exact-match
// accuracy on the suite's items.
// What it can and cannot show: docs/methods.md, "Ablation".
//
// Components (levels) and the sites each one overwrites, at every position:
//   layer   the whole layer: every head (blocks.{l}.attn.hook_z) and the MLP
//           (blocks.{l}.hook_mlp_out)
//   attn    every head of the layer, blocks.{l}.attn.hook_z
//   mlp     the MLP's output, blocks.{l}.hook_mlp_out
//   head    one head's output before the output projection,
//           blocks.{l}.attn.hook_z with `head` (never a slice after W_O)
//   neuron  one MLP neuron, blocks.{l}.mlp.hook_post with `neurons` (on request:
//           n_layers × d_mlp units)
// The attention sites are the heads (hook_z), not the block's output
// (hook_attn_out): zeroing them keeps GPT-2's output bias b_O, as ONNX's
// head_mask does, so a unit is the same intervention in a sweep, in a click on
// the page (which takes its sites from the engine's `ablation_units`) and in
// an ONNX run. Mean and resample ablation give the same numbers at either hook
// (the projection is linear).
// Methods, applied at every position:
//   zero      the activation becomes 0
//   mean      its mean over the evaluated items, per position (all prompts of
//             a sweep have one length), computed once from their clean runs
//   resample  its value in the clean run of another item of the same kind; each
//             item's donor is drawn once (SeededRandom(derived_seed(seed, 1)),
//             items in order, uniform over the kind's other items) and used
//             for every component. Needs two items per kind.
// A component in block l only changes blocks l and above, so each ablated run
// resumes from the item's clean residual stream at block l (reuse_cache;
// false recomputes from the embedding and gives the same numbers).
//
// Settings: ablation_settings() (below; docs/settings.md lists them). Over
// budget_seconds, fewer items (sweep-budget.h: the result then has "budget",
// the echo the items used).
//
// Result (objects have sorted keys; accuracies are fractions in [0, 1]; a drop
// is baseline − ablated, positive when the ablation hurts):
//   {"settings": {"items_per_kind", "kinds", "split", "method", "levels", "reuse_cache", "shard": [i, n]},
//    "items": {"kinds": [{"kind", "family", "split", "n"}], "families": [...], "n_pos"},
//    "baseline": {"by_kind": {kind: acc}, "by_family": {family: acc}},
//    "n_units": total units of the unsharded sweep,
//    "units": [{"unit": i, "level": "head", "layer": 1, "head": 0,      ("neuron": n for neurons)
//               "label": "L1H0", "sites": [{"hook": "blocks.1.attn.hook_z", "head": 0}],
//               "accuracy": {"by_kind", "by_family"}, "drop": {"by_kind", "by_family"}}, ...]}
// Units are numbered in level order (layer, attn, mlp, head, neuron, as far
// as requested), layer-major within a level; a shard holds the units with
// unit % count == index.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/sweeps/sweep.h"

namespace strata {

enum class AblationMethod { Zero, Mean, Resample };
enum class AblationLevel { Layer, Attn, Mlp, Head, Neuron };

const char* ablation_level_name(AblationLevel level);
AblationMethod ablation_method_from_name(const std::string& name);  // "zero" | "mean" | "resample"

// One component that can be ablated.
struct AblationTarget {
  AblationLevel level = AblationLevel::Layer;
  int layer = 0;
  int index = -1;  // the head (Head) or neuron (Neuron)

  std::string label() const;  // "L2 block", "L2 attn", "L2 mlp", "L2H1", "L2 mlp N17"
  // What the ablation overwrites: hook, head and neurons; `op` and `value`
  // are left for the method to fill in.
  std::vector<Intervention> sites() const;
  nlohmann::json to_json() const;  // {"level", "layer", ("head" | "neuron"), "label", "sites": [{"hook", "head"?, "neurons"?}]}
};

// Every component of the given levels, in level order then layer-major.
std::vector<AblationTarget> ablation_targets(const ModelConfig& config, const std::vector<AblationLevel>& levels);

// The units a click on the page ablates (layer, mlp and head levels), each as
// to_json(): the page builds its interventions and ONNX masks from their sites.
nlohmann::json ablation_units_json(const ModelConfig& config);

// Clean runs of an item set and ablated runs on top of them.
class Ablator {
 public:
  // Runs every item once, keeping its residual boundaries and (mean,
  // resample) the activations of every hook the `targets` touch. Means come
  // from `mean_source` when given (the same model and targets), else from these items.
  Ablator(const Model& model, const ItemSet& items, AblationMethod method, const std::vector<AblationTarget>& targets,
          uint64_t seed, bool reuse_cache, const Ablator* mean_source = nullptr);

  const std::vector<uint8_t>& baseline() const { return baseline_; }  // clean run correct, per item
  // The interventions that ablate every target in `set` on item i.
  std::vector<Intervention> interventions(const std::vector<AblationTarget>& set, size_t item) const;
  // Correct (1) or not (0) per item with every target in `set` ablated together.
  std::vector<uint8_t> correct_with(const std::vector<AblationTarget>& set) const;
  const std::vector<size_t>& donors() const { return donors_; }

 private:
  const Tensor& stored(size_t item, HookId hook) const;
  const Tensor& mean(HookId hook) const;

  const Model& model_;
  const ItemSet& items_;
  AblationMethod method_;
  bool reuse_cache_;
  const Ablator* mean_source_;
  std::vector<int> slot_;                        // hook_index → slot in the stores, -1 if not kept
  std::vector<Boundaries> boundaries_;           // per item
  std::vector<std::vector<Tensor>> activations_;  // [item][slot], resample only
  std::vector<Tensor> means_;                    // [slot], mean only
  std::vector<size_t> donors_;                   // resample: the item each item takes its values from
  std::vector<uint8_t> baseline_;
};

const SettingsTable& ablation_settings();
nlohmann::json run_ablation(const AnalysisRequest& request);

}  // namespace strata
