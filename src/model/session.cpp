#include "model/session.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/error.h"

namespace strata {

std::vector<int32_t> Session::tokenize(const std::string& text, const std::string& label) const {
  if (!model_.tokenizer) throw Error("tokenize: this model has no tokenizer.json; give token ids instead");
  return model_.tokenizer->encode(text, label);
}

std::string Session::token_text(int32_t id) const {
  if (!model_.tokenizer || id < 0 || id >= model_.tokenizer->vocab_size()) return "";
  return model_.tokenizer->token(id);
}

RunOptions Session::parse_run_options(const nlohmann::json& request, const std::string& label) const {
  const auto field = [&](const std::string& name) { return label.empty() ? name : label + ": " + name; };
  if (!request.is_object()) fail_expected(label.empty() ? "run options" : label, "an object", request.type_name());
  for (const auto& item : request.items())
    if (item.key() != "capture" && item.key() != "interventions")
      throw Error(field("unknown field \"" + item.key() + "\" (known: capture, interventions)"));
  RunOptions options;
  if (request.contains("capture")) {
    const nlohmann::json& capture = request["capture"];
    if (capture.is_string() && capture.get<std::string>() == "all") {
      options.capture_all = true;
    } else {
      if (!capture.is_array()) fail_expected(field("capture"), "\"all\" or an array of hook names", capture.dump());
      for (const auto& name : capture) {
        if (!name.is_string()) fail_expected(field("capture"), "hook names", name.dump());
        const auto hook = parse_hook_name(name.get<std::string>(), model_.config);
        if (!hook) throw Error(field("capture") + ": \"" + name.get<std::string>() + "\" is not a hook of this " +
                               model_.config.model_type + " model");
        options.capture.push_back(*hook);
      }
    }
  }
  if (request.contains("interventions"))
    options.interventions = interventions_from_json(request["interventions"], model_.config, field("interventions"));
  return options;
}

RunResult Session::run(const std::vector<int32_t>& tokens, const RunOptions& options) const {
  return strata::run(model_, tokens, options);
}

std::vector<TokenProbability> Session::top_k(const Mat& logits, int k) const {
  const auto last = logits.row(logits.rows() - 1);
  const int64_t vocab = last.size();
  k = static_cast<int>(std::min<int64_t>(std::max(k, 0), vocab));
  const double max = last.maxCoeff();
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i) total += std::exp(static_cast<double>(last[i]) - max);
  std::vector<int32_t> ids(static_cast<size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int32_t a, int32_t b) { return last[a] > last[b] || (last[a] == last[b] && a < b); });
  std::vector<TokenProbability> out;
  for (int i = 0; i < k; ++i) {
    const int32_t id = ids[i];
    out.push_back({id, token_text(id), static_cast<float>(std::exp(last[id] - max) / total), last[id]});
  }
  return out;
}

nlohmann::json Session::info() const {
  const ModelConfig& c = model_.config;
  nlohmann::json hooks = nlohmann::json::array();
  for (const HookId& h : all_hooks(c)) hooks.push_back(hook_name(h));
  int64_t parameters = model_.weights.W_E.size() + model_.weights.W_pos.size() + model_.weights.W_U.size() +
                       model_.weights.ln_f_w.size() + model_.weights.ln_f_b.size();
  for (const LayerWeights& L : model_.weights.layers)
    parameters += L.ln1_w.size() + L.ln1_b.size() + L.W_Q.size() + L.W_K.size() + L.W_V.size() + L.b_Q.size() +
                  L.b_K.size() + L.b_V.size() + L.W_O.size() + L.b_O.size() + L.ln2_w.size() + L.ln2_b.size() +
                  L.W_in.size() + L.W_gate_linear.size() + L.b_in.size() + L.b_gate_linear.size() + L.W_out.size() +
                  L.b_out.size();
  return {
      {"model_type", c.model_type},
      {"family", c.family == Family::Gpt2 ? "gpt2" : "llama"},
      {"n_layers", c.n_layers},
      {"d_model", c.d_model},
      {"n_heads", c.n_heads},
      {"n_kv_heads", c.n_kv_heads},
      {"d_head", c.d_head},
      {"d_mlp", c.d_mlp},
      {"d_vocab", c.d_vocab},
      {"n_ctx", c.n_ctx},
      {"tied_embeddings", c.tied_embeddings},
      {"parameters", parameters},
      {"weight_precision", weight_precision(model_.weights)},
      {"weights_sha256", model_.weights_sha256},
      {"tokenizer", model_.tokenizer.has_value()},
      {"hooks", hooks},
      {"ignored_tensors", model_.load_report.ignored_tensors},
      {"unknown_tensors", model_.load_report.unknown_tensors},
  };
}

}  // namespace strata
