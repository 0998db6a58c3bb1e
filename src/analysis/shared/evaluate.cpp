#include "analysis/shared/evaluate.h"

#include "base/error.h"

namespace strata {
namespace {

int32_t answer_id(const Session& session, const std::string& answer, const char* field = "answer") {
  const std::vector<int32_t> ids = session.tokenize(answer, field);
  if (ids.size() != 1) fail_expected(field, "a single token", std::to_string(ids.size()) + " tokens");
  return ids[0];
}

int32_t argmax_last(const Mat& logits) {
  Eigen::Index best = 0;
  logits.row(logits.rows() - 1).maxCoeff(&best);
  return static_cast<int32_t>(best);
}

// Whether the model predicts the item's answer. Errors are the item's: the caller names it.
ItemResult evaluate_item(const Session& session, const SuiteItem& item) {
  const std::vector<int32_t> prompt = session.tokenize(item.prompt, "prompt");
  const size_t corrupt_len = session.tokenize(item.corrupt_prompt, "corrupt_prompt").size();
  if (corrupt_len != prompt.size())
    fail_expected("corrupt_prompt", std::to_string(prompt.size()) + " tokens like the prompt", std::to_string(corrupt_len));
  const int32_t answer = answer_id(session, item.answer);
  const int32_t memory = item.memory_answer.empty() ? -1 : answer_id(session, item.memory_answer, "meta: memory_answer");
  RunOptions options;
  options.last_logits_only = true;
  const int32_t predicted = argmax_last(session.run(prompt, options).logits);
  return {item.id, session.token_text(predicted), predicted == answer, predicted == memory};
}

}  // namespace

Evaluation evaluate_suite(const Session& session, const Suite& suite, const std::string& model_id,
                          const std::function<void(size_t done, size_t total)>& progress) {
  Evaluation eval;
  nlohmann::json by_kind = nlohmann::json::object();
  for (const auto& [name, kind] : suite.kinds)
    by_kind[name] = {{"family", kind.family}, {"optional", kind.optional}, {"splits", nlohmann::json::object()}};

  for (const SuiteItem& item : suite.items) {
    if (progress) progress(eval.items.size(), suite.items.size());
    try {
      eval.items.push_back(evaluate_item(session, item));
    } catch (const Error& e) {
      throw Error(suite.label + ": suite item \"" + item.id + "\": " + e.what());
    }
    const ItemResult& result = eval.items.back();
    nlohmann::json& split = by_kind[item.kind]["splits"][item.split];
    if (split.is_null()) split = {{"n", 0}, {"correct", 0}, {"accuracy", 0.0}};
    split["n"] = split["n"].get<int>() + 1;
    split["correct"] = split["correct"].get<int>() + (result.correct ? 1 : 0);
    split["accuracy"] = split["correct"].get<double>() / split["n"].get<double>();
    if (item.family == "conflict") {
      split["memory"] = split.value("memory", 0) + (result.memory ? 1 : 0);
      split["memory_rate"] = split["memory"].get<double>() / split["n"].get<double>();
    }
  }
  eval.summary = {{"model", model_id}, {"by_kind", by_kind}};
  return eval;
}

nlohmann::json mark_answered_wrong(nlohmann::json suite_json, const Evaluation& eval, const Session& session) {
  nlohmann::json wrong = nlohmann::json::array();
  for (const ItemResult& item : eval.items)
    if (!item.correct) wrong.push_back(item.id);
  suite_json["answered_wrong"] = {{"weights_sha256", session.model().weights_sha256}, {"items", wrong}};
  return suite_json;
}

}  // namespace strata
