// Session: one loaded model and the requests the CLI and the page make of it.
//
// The CLI and the Embind bindings are thin shells over this class, so that
// both take the same inputs (hook names, intervention JSON) and give the same
// results, and native tests reach everything the page does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/forward.h"
#include "model/model.h"

namespace strata {

struct TokenProbability {
  int32_t id;
  std::string token;  // as written in the vocabulary; empty without a tokenizer
  float probability;
  float logit;
};

class Session {
 public:
  explicit Session(Model model) : model_(std::move(model)) {}

  const Model& model() const { return model_; }

  // Requires a tokenizer; ids are checked against the model's vocabulary.
  // `label` names the text in errors.
  std::vector<int32_t> tokenize(const std::string& text, const std::string& label = "prompt") const;
  std::string token_text(int32_t id) const;

  // {"capture": ["blocks.0.attn.hook_pattern", ...] | "all", "interventions": [...]}
  // `label` prefixes every error; empty when the caller's own prefix says where the request came from.
  RunOptions parse_run_options(const nlohmann::json& request, const std::string& label) const;
  RunResult run(const std::vector<int32_t>& tokens, const RunOptions& options) const;

  // The k most probable next tokens after the last position, most probable first.
  std::vector<TokenProbability> top_k(const Mat& logits, int k) const;

  // Architecture, sizes, hook names, what loading reported.
  nlohmann::json info() const;

 private:
  Model model_;
};

}  // namespace strata
