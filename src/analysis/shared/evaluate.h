// Exact-match evaluation of a model on its suite: is the most probable next
// token after the prompt the answer? Per item, and as accuracy per kind and split.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/suite.h"
#include "model/session.h"

namespace strata {

struct ItemResult {
  std::string id;
  std::string predicted;  // the argmax token
  bool correct = false;
  bool memory = false;  // a conflict item answered with the memorised answer, not the stated one
};

struct Evaluation {
  std::vector<ItemResult> items;  // in suite order
  // {"model": id, "by_kind": {kind: {"family", "optional", "splits": {split: {"n", "correct", "accuracy"}}}}};
  // a conflict kind's splits also count "memory" and "memory_rate": its
  // "correct" answers follow the prompt, its "memory" answers the weights.
  nlohmann::json summary;
};

// Tokenizes every prompt (answers must be single tokens of the vocabulary;
// a corrupt prompt must have its prompt's token length) and runs the model.
// `progress`, when given, is called with the items done and the total before each item.
Evaluation evaluate_suite(const Session& session, const Suite& suite, const std::string& model_id,
                          const std::function<void(size_t done, size_t total)>& progress = {});

// `suite_json` (the suite `eval` was computed on) with "answered_wrong" (io/suite.h):
// the items the model of `session` gets wrong, bound to its weights' SHA-256.
nlohmann::json mark_answered_wrong(nlohmann::json suite_json, const Evaluation& eval, const Session& session);

}  // namespace strata
