// Activation patching (denoising): run an item's clean prompt and its corrupt
// prompt (same length, another answer); copy one activation of the clean run
// into the corrupt run and see how much of the clean behaviour comes back.
// What it can and cannot show: docs/methods.md, "Activation patching".
//
//   LD         = logit(answer) − logit(corrupt_answer), at the last position
//   recovery   = (LD_patched − LD_corrupt) / (LD_clean − LD_corrupt)
// 1 means the patched activation alone restores the clean answer's margin, 0
// that it carries none of the difference. A pair whose |LD_clean − LD_corrupt|
// is below `min_gap` has nothing to normalise by: it is skipped and counted.
//
// Sites (levels; units in this order, outer index first):
//   resid     boundary b × position p: blocks.{b}.hook_resid_pre for
//             b < n_layers, the last block's hook_resid_post for b = n_layers
//   attn      blocks.{l}.hook_attn_out, every position
//   mlp       blocks.{l}.hook_mlp_out, every position
//   head      blocks.{l}.attn.hook_z, one head, every position (before W_O)
//   attn_pos  blocks.{l}.hook_attn_out at one position (layer × position)
//   mlp_pos   blocks.{l}.hook_mlp_out at one position
//   head_pos  blocks.{l}.attn.hook_z, one head at one position
// Clean-cache reuse: each corrupt prompt runs once with its residual stream
// cached at every boundary; a patch in block l (or at boundary l) resumes the
// corrupt run from that cached residual instead of recomputing blocks 0..l−1.
// The corrupt run also keeps the patched hooks' own values: a patch that
// would write exactly the values already there (every site before the first
// token where the prompts differ) is the corrupt run itself, and is not run.
// The clean runs capture only the hooks the requested sites read.
// `"reuse_cache": false` recomputes every patched run from the embedding,
// skipping nothing (for benchmarks and tests; it gives the same numbers).
//
// Settings: patching_settings() (below; docs/settings.md lists them). Over
// budget_seconds, fewer items (sweep-budget.h: the result then has "budget",
// the echo the items used).
//
// Result (objects have sorted keys; a mean over no pair is null):
//   {"settings": {"items_per_kind", "kinds", "split", "levels", "min_gap", "reuse_cache", "shard": [i, n]},
//    "items": {"kinds": [{"kind", "family", "split", "n"}], "families": [...], "n_pos"},
//    "pairs": {"by_kind": {kind: {"n", "used", "skipped", "mean_ld_clean", "mean_ld_corrupt"}},
//              "by_family": {family: {"n", "used", "skipped", "mean_ld_clean", "mean_ld_corrupt"}}},
//    "n_units": total units of the unsharded sweep,
//    "units": [{"unit": i, "level": "resid", "hook": "blocks.2.hook_resid_pre",
//               "boundary": 2 (resid) | "layer": l (others), "head": h (head levels),
//               "position": p (per-position levels), "label": "resid 2 @5",
//               "recovery": {"by_kind": {kind: mean}, "by_family": {family: mean}}}, ...]}
// Means are over the used pairs (by_family pools the family's used pairs).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/sweeps/sweep.h"

namespace strata {

enum class PatchLevel { Resid, Attn, Mlp, Head, AttnPos, MlpPos, HeadPos };

const char* patch_level_name(PatchLevel level);

struct PatchSite {
  PatchLevel level = PatchLevel::Resid;
  int layer = 0;      // the boundary for Resid
  int head = -1;      // Head, HeadPos
  int position = -1;  // -1: every position

  HookId hook(const ModelConfig& config) const;
  std::string label() const;
  nlohmann::json to_json(const ModelConfig& config) const;
};

// Every site of the given levels for prompts of n_pos tokens, in unit order.
std::vector<PatchSite> patch_sites(const ModelConfig& config, int64_t n_pos, const std::vector<PatchLevel>& levels);

// Clean and corrupt runs of an item set, and patched runs on top of them.
class Patcher {
 public:
  // Runs each item's clean prompt (capturing what `sites` read) and corrupt
  // prompt (capturing its residual boundaries when reuse_cache).
  Patcher(const Model& model, const ItemSet& items, const std::vector<PatchSite>& sites, bool reuse_cache);

  double clean_logit_diff(size_t item) const { return ld_clean_[item]; }
  double corrupt_logit_diff(size_t item) const { return ld_corrupt_[item]; }
  // LD of item's corrupt prompt with `site` copied from its clean run.
  double patched_logit_diff(size_t item, const PatchSite& site) const;

 private:
  double logit_diff(const RowVec& last_logits, size_t item) const;

  const Model& model_;
  const ItemSet& items_;
  bool reuse_cache_;
  std::vector<HookId> clean_hooks_;
  std::vector<std::vector<Tensor>> clean_;  // [item][index in clean_hooks_]
  std::vector<Boundaries> corrupt_;        // per item, when reuse_cache
  std::vector<std::vector<Tensor>> corrupt_values_;  // [item][index in clean_hooks_], when reuse_cache
  std::vector<double> ld_clean_, ld_corrupt_;
};

const SettingsTable& patching_settings();
nlohmann::json run_patching(const AnalysisRequest& request);

}  // namespace strata
