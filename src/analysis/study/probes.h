// Linear probes on the residual stream (docs/methods.md, "Probes"): at every layer
// boundary — blocks.{l}.hook_resid_pre for each block, then the last block's
// hook_resid_post — and at the last prompt token, an L2-regularised logistic
// regression predicts
//   "family": the item's family, recall or reasoning (binary; mixed items are left out), and
//   "answer": the answer token (multinomial softmax over the answers seen in training).
//
// The probe: logistic-probe.h.
// Items are split into training and test items per kind with the request's seed.
//
// Control task (Hewitt & Liang 2019): the same probe, with the same classes,
// trained on control labels that are a random function of the input type at
// the probed position: the prompt's last token, the one whose residual stream
// the probe reads. Each type gets a label drawn, with the seed, from the
// training items' label distribution, once for all items. Selectivity = test
// accuracy − control test accuracy: how much of the accuracy is more than a
// probe can get by memorising the identity of the token it reads.
//
// Random model: the same probes on a model with the same configuration whose
// weights are redrawn with the seed (the items keep their tokens): every
// matrix (embeddings, positions, projections, unembedding) i.i.d. normal(0,
// random_std), every norm weight 1 and every bias 0, with the shapes of the
// trained model's weights (random_copy, model/random-model.h). Its test accuracy is set beside
// every trained probe's ("random_accuracy"), with selectivity_vs_random = test
// accuracy − random_accuracy: what training added to what the prompt's tokens
// already give (a family label that is a function of which tokens appear is
// read from a random model too).
//
// An accuracy with nothing to score (no test items, or no training items) is
// null with a "reason" beside it, never 0.
//
// Settings: probes_settings() (below; docs/settings.md lists them; errors
// name "probes.<key>").
//
// Result:
// {"items": describe_items(), "train_items": n, "test_items": n,
//  "boundaries": ["blocks.0.hook_resid_pre", ..., "blocks.{L-1}.hook_resid_post"],
//  "control": "labels drawn per type of the probed token (the last one), ...",
//  "settings": {every setting with the value used},
//  "family": {"classes": ["recall", "reasoning"], "majority_accuracy": test accuracy of the most
//             frequent training label (null with "majority_accuracy_reason"), "control_types": types of the probed token (1: the control
//             is one constant label, and selectivity against it says nothing),
//             "trained": [per boundary {"boundary", "train_accuracy", "test_accuracy",
//                                       "control_accuracy", "selectivity",
//                                       "random_accuracy", "selectivity_vs_random" (when random_model),
//                                       "reason" (when an accuracy is null)}],
//             "random":  [as trained without the random fields, on the randomly initialised model]},
//  "answer": {"classes": [answer tokens, sorted], "majority_accuracy",
//             "trained": [per boundary, as above plus "test_accuracy_recall", "test_accuracy_reasoning"
//                         (null with "test_accuracy_<family>_reason" when the family has no test item)],
//             "random": [...]}}
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/study/logistic-probe.h"
#include "model/model.h"
#include "model/random-model.h"

namespace strata {

const SettingsTable& probes_settings();
nlohmann::json run_probes(const AnalysisRequest& request);

}  // namespace strata
