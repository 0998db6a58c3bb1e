// The observation analyses as named analyses (registry.h): logit lens, tuned
// lens, attention flow, direct logit attribution and head scores, each taking
// an AnalysisRequest and returning the JSON a report stores.
//
// Lens, flow and attribution look at one prompt or at the suite:
//   {"prompt": "...", "answer": "...", "foil": "..."}  one prompt (foil: attribution only)
//   {"item": "<suite item id>"}                         one suite item (its corrupt answer is the foil)
//   neither                                             the suite: per kind, averages at the answer
//                                                       position (the prompt's last token), with
//                                                       "split": "all" | "trained" | "heldout" and
//                                                       "max_items_per_kind": N (0: every item)
// Head scores are model-wide (repeated random tokens, drawn with the request's seed).
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "analysis/tuned-lens.h"

namespace strata {

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
