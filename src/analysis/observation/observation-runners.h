// The observation analyses as named analyses (registry.h): logit lens, tuned
// lens, attention flow, direct logit attribution and head scores, each taking
// an AnalysisRequest and returning the JSON a report stores.
//
// Lens, flow and attribution look at one prompt or at the suite:
//   {"prompt": "...", "answer": "...", "foil": "..."}  one prompt (foil: attribution only)
//   {"item": "<suite item id>"}                         one suite item (its corrupt answer is the foil)
//   neither                                             the suite's items (analysis/shared/item-selection.h):
//                                                       per kind, averages at the answer position
//                                                       (the prompt's last token)
// Head scores are model-wide (repeated random tokens, drawn with the request's seed).
// Each analysis's settings are its table below (docs/settings.md lists them).
//
// The tuned lens (tuned-lens.h) is always fitted on the suite's items, drawn
// as above. Per kind, they are shuffled with the request's seed; the first
// ceil(heldout_fraction · n) (at least one, leaving at least one) are held out
// and the rest are fitted on, every position of each prompt. The time budget
// (budget_seconds; docs/methods.md, "Tuned lens") has its rule in
// tuned-lens-runner.cpp, fit_to_time_budget.
// Result:
//   {"mode", "fit_method", "settings": {...as used}, "boundary_hooks": [...],
//    "fit": {"n_items", "n_positions", "by_kind": {kind: items used}, "positions_by_kind": {kind: n},
//            "kl_logit_lens", "kl_tuned_lens" (per boundary, pooled over the fitting positions),
//            "kl_by_kind": {kind: {"n_items", "n_positions", "tuned_kl", "logit_kl"}},
//            "objective_start", "objective_end" (objective "kl": the KL fit's objective per fitted boundary)},
//    "heldout": {"n_items", "n_positions", "kl_logit_lens", "kl_tuned_lens",
//                "by_kind": {kind: {"n_items", "n_positions", "tuned_kl": [per boundary], "logit_kl": [...]}},
//                "tuned_above_logit": [{"kind", "boundary", "heldout_tuned_kl", "heldout_logit_kl",
//                                       "fit_tuned_kl", "fit_logit_kl", "reason"}]},
//    "by_kind_items": "heldout", "by_kind": {as the logit lens's suite result, on the held-out items},
//    "case", "lens" (with a prompt or item: the tuned lens on it),
//    "budget" (when the budget cut: as the sweeps', sweep-budget.h, and "objective" as run)}
// KL is the mean over every position of KL(p_final ‖ p_lens), in nats.
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "analysis/observation/tuned-lens.h"

namespace strata {

const SettingsTable& logit_lens_settings();
const SettingsTable& tuned_lens_settings();
const SettingsTable& attention_flow_settings();
const SettingsTable& attribution_settings();
const SettingsTable& head_scores_settings();

nlohmann::json run_logit_lens(const AnalysisRequest& request);
nlohmann::json run_tuned_lens(const AnalysisRequest& request);
nlohmann::json run_attention_flow(const AnalysisRequest& request);
nlohmann::json run_attribution(const AnalysisRequest& request);
nlohmann::json run_head_scores(const AnalysisRequest& request);

// The tuned-lens analysis with the fitted lens, for saving it beside the model.
struct TunedLensRun {
  TunedLens lens;
  nlohmann::json result;  // what run_tuned_lens returns
};
TunedLensRun fit_suite_tuned_lens(const AnalysisRequest& request);

}  // namespace strata
