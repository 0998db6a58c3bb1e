// Circuits and selective impairment, as a pre-registered test: search for a
// recall circuit and a reasoning circuit on one set of items, choose their
// size on a second, and judge them on a third, against random circuits.
// What it can and cannot show: docs/methods.md, "Circuits and selective impairment".
//
// Effect of ablating a circuit, per family F (circuit-scoring.h):
//   LD        = logit(answer) − logit(foil), the foil being the corrupt
//               prompt's answer, at the last position
//   effect(F) = 1 − Σ LD_ablated / Σ LD_intact over F's items
//               0 = intact, 100 points = answer and foil tied (chance)
//   drop(F)   = (acc_intact − acc_ablated) / (acc_intact − chance(F))
//               0 = intact, 100 points = at chance; chance(kind) = the
//               suite's stated chance (io/suite.h), else 1 / distinct answers
// Ablation (default resample): each component takes its value from `donors`
// other items of the same kind (seeded), the item's LD and correctness
// averaged over them; or the same kind's mean; or zero.
//
// Items, disjoint, consecutive slices of each kind's order drawn with the
// seed (analysis/shared/item-selection.h; by default recall kinds on trained
// facts, reasoning kinds on held-out items):
//   selection   the first selection_items_per_kind: the search
//   validation  the next validation_items_per_kind: the choice of size
//   test        every remaining item (or the next test_items_per_kind): the verdict
//   null        the first null_items_per_kind test items: random circuits
// Search (circuit-search.h), for target T and other family O:
//   J(S) = effect_T(S) − collateral_penalty × |effect_O(S)|, 1 ≤ |S| ≤ max_size,
//   exhaustive over all subsets when subsets × forward passes per subset ≤
//   search_budget, else greedy re-scoring every remaining candidate after
//   each addition. The best subset of each size (on selection) is scored on
//   validation; the size with the highest validation J (ties: smaller) is the
//   circuit. The Pareto front of the selection scores is kept.
// Test figures, the contrast, the nulls and the verdict: circuit-evaluation.h
// (separated: both circuits' target lower bound ≥ 30 points, collateral upper
// bound ≤ 5 points, ≥ 95% of random circuits beaten, contrast interval > 0).
//
// Settings: circuits_settings() (below; docs/settings.md lists them). The
// time budget's rule is at fit_circuits_to_budget (circuits.cpp; docs/methods.md).
//
// Result (objects have sorted keys; effects, drops and contrast in points):
//   {"settings": {...as used},
//    "method": {"ablation", "donors", "search": "exhaustive" | "greedy",
//               "exhaustive_forward_passes", "objective", "max_size", "collateral_penalty"},
//    "items": {"selection": I, "validation": I, "test": I, "null": I},   I = items_json (sweep.h)
//    "chance": {kind: x},
//    "candidates": [{"component": K, "selection": {"recall": e, "reasoning": e}}],  (each alone,
//                   on the selection items; both searches score every candidate alone)
//    "circuits": {"recall": C, "reasoning": C},
//    "test_items": [id, ...],
//    "contrast": {"value", "ci": [lo, hi]},
//    "separated": bool,
//    "statement": "...",
//    "budget" (when the time budget cut): {"budget_seconds", "estimated_seconds_all", "estimated_seconds",
//              "items_per_kind_all", "items_per_kind": {"selection", "validation", "test", "null"},
//              "candidates": as run}}
//   K = {"label", "hook", "head"?, "positions"?}   (strata run --intervene vocabulary)
//   C = {"components": [K, ...],
//        "test": {"recall": F, "reasoning": F},
//        "null": {"n", "percentile", "objective", "circuits": [{"components": [label], "recall", "reasoning"}]},
//        "sizes": [{"size", "components": [label], "selection": {"recall", "reasoning", "objective"},
//                   "validation": {...same}, "chosen": bool}],
//        "front": [{"components": [label], "recall", "reasoning"}]}     (selection items)
//   F = {"n", "effect", "effect_ci": [lo, hi], "drop", "ci": [lo, hi],
//        "accuracy": {"intact", "ablated", "chance"}}                    (accuracies as fractions)
// An undefined figure (no positive intact LD, or intact accuracy at chance) is null.
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"

namespace strata {

const SettingsTable& circuits_settings();
// Every setting's default, as the registry lists them.
nlohmann::json circuits_defaults();

nlohmann::json run_circuits(const AnalysisRequest& request);

}  // namespace strata
