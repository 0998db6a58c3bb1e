// A time budget for the intervention sweeps (ablation, patching, causal
// tracing): a sweep whose full run would take longer than the budget is run on
// fewer items per kind, by a rule fixed in advance and stated in its result.
//
// Setting (of each of the three sweeps): budget_seconds (settings.h
// budget_setting; 0, the default, is no budget). The page asks for 60.
//
// The estimate (deterministic: the same model, suite and settings give the same
// cut on every machine, so a report or a link reproduces it):
//   seconds = items × passes_per_item × flops(one forward pass) / kReferenceFlops
// where passes_per_item is the sweep's forward passes per item over all its
// units (every shard together: the estimate is of the whole sweep), flops
// counts the matrix products of one pass over the prompt's n_pos tokens
// (q, k, v and output projections, the attention scores and their weighted
// sum, the MLP, the unembedding of the last position, as the sweeps run it:
// RunOptions::last_logits_only), and kReferenceFlops is the
// speed measured for one engine (below). A resumed run (reuse_cache) costs
// less than a whole pass: the estimate is an upper bound.
//
// The rule: when the estimate exceeds the budget, items_per_kind becomes
// floor(n · budget / estimate), n being the most items any kind has, but never
// below kMinItemsPerKind; the items are drawn again with that items_per_kind
// (analysis/shared/item-selection.h), a subset of the full draw.
// The result then carries
//   "budget": {"budget_seconds", "estimated_seconds_all", "items_per_kind_all",
//              "estimated_seconds", "items_per_kind"}
// and its settings echo the items_per_kind used.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "analysis/sweeps/sweep.h"

namespace strata {

// FLOPs per second of one engine: tests/bench's forward-bench, built for wasm and
// run in node on a random 12-layer, 768-wide GPT-2 (make-checkpoint.py) over 16
// tokens, took a median 169 ms for 3.96 GFLOP (this count with every position
// unembedded, as that benchmark does): 23.4 GFLOP/s (2026-12-05, load average
// 3.1); rounded down. The estimate is of one
// engine: the page's workers split a sweep, so it takes less there.
constexpr double kReferenceFlops = 2.0e10;
constexpr int kMinItemsPerKind = 4;

double read_budget_seconds(SettingsReader& settings);

// Floating-point operations of one forward pass over n_pos tokens.
double forward_flops(const ModelConfig& config, int64_t n_pos);

// Applies the rule: when it cuts, `selection` and `items` are the cut ones and
// the returned JSON is the result's "budget"; nullopt when nothing was cut.
std::optional<nlohmann::json> fit_to_budget(const Session& session, const Suite& suite, ItemSelection& selection,
                                            uint64_t seed, ItemSet& items, double passes_per_item, double budget_seconds,
                                            const std::string& analysis);

// `result` with "settings"."budget_seconds" (when a budget was set) and "budget" (when it cut).
nlohmann::json with_budget(nlohmann::json result, double budget_seconds, const std::optional<nlohmann::json>& cut);

}  // namespace strata
