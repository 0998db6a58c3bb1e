// Exact-match evaluation of a model on its suite: is the most probable next
// token after the prompt the answer? Per item, and as accuracy per kind and split.
#pragma once

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
};

struct Evaluation {
  std::vector<ItemResult> items;  // in suite order
  // {"model": id, "by_kind": {kind: {"family", "optional", "splits": {split: {"n", "correct", "accuracy"}}}}}
  nlohmann::json summary;
};

// Tokenizes every prompt (answers must be single tokens of the vocabulary;
// a corrupt prompt must have its prompt's token length) and runs the model.
Evaluation evaluate_suite(const Session& session, const Suite& suite, const std::string& model_id);

}  // namespace strata
