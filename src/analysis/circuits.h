// Circuits and selective impairment: find a recall circuit and a reasoning
// circuit by ablation, ablate each as a whole, and say whether they separate.
//
// Candidates: every attention head (hook_z, one head, before W_O) and every
// MLP (hook_mlp_out) — or, with "candidates": "attn_mlps", every attention
// block (hook_attn_out) and every MLP. Ablation by `method` (mean over the
// selection items by default; see ablation.h).
//
// Items: the first items_per_kind items of each kind select the circuits; the
// next eval_items_per_kind items of each kind (never seen by the selection)
// evaluate them. Recall is asked about trained facts, reasoning on held-out
// items (split "auto", sweep.h). Families are pooled over their kinds.
//
// The rule, for a target family T (recall or reasoning) and the other family O,
// with drop = baseline accuracy − ablated accuracy on the selection items:
//   1. score every candidate alone: score(c) = drop_T({c}) − drop_O({c})
//   2. visit candidates by score, highest first (ties: candidate order), with
//      S = {} until drop_T(S) ≥ target_drop:
//        keep c when drop_O(S ∪ {c}) ≤ max_other_drop and
//                    drop_T(S ∪ {c}) > drop_T(S)
//   3. the circuit is S (possibly short of the target, possibly empty)
// Each circuit is then ablated whole on the evaluation items; each family's
// baseline accuracy, ablated accuracy and drop get a 95% percentile bootstrap
// interval (bootstrap.h) over that family's items, resampled with
// derived_seed(seed, 3) for recall and derived_seed(seed, 4) for reasoning
// (the same resamples for both circuits, so baseline and ablated stay paired).
//
// Separation (fixed thresholds, the study's headline claim; never tuned per
// model): it holds when, on the evaluation items, the recall circuit drops
// recall by ≥ 30 points with reasoning dropping ≤ 5, and the reasoning circuit
// drops reasoning by ≥ 30 points with recall dropping ≤ 5. The statement says
// which half failed and by how much.
//
// Settings: items_per_kind (default 32), kinds, split (sweep.h; no shard) and
//   eval_items_per_kind  integer, default 64
//   method               "mean" (default) | "zero" | "resample"
//   candidates           "heads_mlps" (default) | "attn_mlps"
//   target_drop          number in [0, 1], default 0.3
//   max_other_drop       number in [0, 1], default 0.05
//   bootstrap_samples    integer in [100, 100000], default 2000
//   reuse_cache          true (default) | false
//
// Result (objects have sorted keys; accuracies and drops are fractions):
//   {"settings": {...as read},
//    "rule": "<the rule above in one paragraph>",
//    "selection_items": {"kinds": [...], "families": [...], "n_pos"}, "evaluation_items": {...},
//    "selection_baseline": {"by_kind", "by_family"},
//    "candidates": [{"level", "layer", "head"?, "label", "hooks",
//                    "drop": {"recall": x, "reasoning": y}}, ...],       (selection items, alone)
//    "circuits": {"recall": C, "reasoning": C},
//    "separation": {"holds": bool, "statement": "..."}}
//   C = {"components": ["L0 mlp", ...],
//        "steps": [{"label", "kept": bool, "target_drop", "other_drop"}, ...],   (each candidate tried)
//        "selection": {"target_drop", "other_drop"},
//        "evaluation": {"recall": F, "reasoning": F}}
//   F = {"n", "baseline": {"accuracy", "ci": [lo, hi]}, "ablated": {...}, "drop": {...}}
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"

namespace strata {

nlohmann::json run_circuits(const AnalysisRequest& request);

}  // namespace strata
