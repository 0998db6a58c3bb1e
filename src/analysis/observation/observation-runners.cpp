// The observation analyses behind their names: settings read and checked,
// one prompt or the suite chosen, the per-kind averages at the answer
// position computed, and everything turned into the JSON a report stores.
#include "analysis/observation/observation-runners.h"

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/observation/attention-flow.h"
#include "analysis/observation/attribution.h"
#include "analysis/observation/head-scores.h"
#include "analysis/observation/logit-lens.h"
#include "analysis/observation/observation-cases.h"
#include "base/error.h"
#include "io/json-reader.h"

namespace strata {

namespace {

using nlohmann::json;

// --- attention flow: per kind, every prompt has the same length ---------------

Eigen::VectorXd row_vector(const Mat& m, Eigen::Index row) { return m.row(row).transpose().cast<double>(); }

}  // namespace

// --- the settings --------------------------------------------------------------

const SettingsTable& logit_lens_settings() {
  static const SettingsTable table = focus_settings(true) + suite_case_settings(true) + SettingsTable{top_k_setting()};
  return table;
}

const SettingsTable& attention_flow_settings() {
  static const SettingsTable table = focus_settings(false) + suite_case_settings(true);
  return table;
}

const SettingsTable& attribution_settings() {
  static const SettingsTable table = focus_settings(true) + suite_case_settings(true);
  return table;
}

const SettingsTable& head_scores_settings() {
  static const SettingsTable table = {
      per_model_integer_setting("bos", -1, -1, 1 << 30,
                                "a token put before every sequence (-1: none); below the model's vocabulary size"),
      per_model_integer_setting("period", nullptr, 2, 1 << 30,
                                "the length T of the random sequence that is repeated (default 20, or the longest "
                                "that fits the context twice when 20 does not)"),
      integer_setting("n_sequences", 4, 1, 1024, "random sequences averaged over"),
      per_model_integer_setting("token_min", 0, 0, 1 << 30, "the lowest token id drawn; below token_max"),
      per_model_integer_setting("token_max", nullptr, 1, 1 << 30,
                                "one past the highest token id drawn (default and most: the vocabulary size)"),
  };
  return table;
}

// --- the runners ---------------------------------------------------------------

json run_logit_lens(const AnalysisRequest& request) {
  ObservationSettings in(request, "logit-lens", logit_lens_settings());
  const Model& model = request.session.model();
  if (const std::optional<Case>& focus = in.focus()) {
    in.refuse_suite_settings();
    const LensSettings s = lens_settings(in.reader(), *focus);
    in.reader().finish();
    return {{"mode", "prompt"}, {"case", case_json(request.session, *focus)}, {"lens", to_json(logit_lens(model, focus->tokens, s))}};
  }
  json answered_wrong;
  const auto by_kind = in.suite_cases(answered_wrong);
  return with_answered_wrong({{"mode", "suite"},
                              {"position", "last prompt token"},
                              {"boundary_hooks", boundary_hook_names(model.config)},
                              {"by_kind", lens_by_kind(request, by_kind, nullptr, "logit lens")}},
                             answered_wrong);
}

json run_attention_flow(const AnalysisRequest& request) {
  ObservationSettings in(request, "attention-flow", attention_flow_settings());
  const Model& model = request.session.model();
  if (const std::optional<Case>& focus = in.focus()) {
    in.refuse_suite_settings();
    in.reader().finish();
    const std::vector<Mat> ra = residual_attention(model, focus->tokens);
    return {{"mode", "prompt"},
            {"case", case_json(request.session, *focus)},
            {"rollout", to_json(rollout_from_residual_attention(ra))},
            {"flow", to_json(flow_from_residual_attention(ra, {}))}};
  }
  json answered_wrong;
  const auto by_kind = in.suite_cases(answered_wrong);
  const size_t total = count_cases(by_kind);
  size_t done = 0;
  json out = json::object();
  for (const auto& [kind, k] : by_kind) {
    const size_t n_pos = k.cases.front().tokens.size();
    Eigen::VectorXd rollout = Eigen::VectorXd::Zero(n_pos), flow = Eigen::VectorXd::Zero(n_pos);
    for (const Case& c : k.cases) {
      report_case(request, "attention flow", done++, total);
      if (c.tokens.size() != n_pos)
        fail_expected("suite item \"" + c.id + "\": prompt",
                      std::to_string(n_pos) + " tokens like the other \"" + kind + "\" prompts",
                      std::to_string(c.tokens.size()));
      const std::vector<Mat> ra = residual_attention(model, c.tokens);
      const Eigen::Index last = static_cast<Eigen::Index>(n_pos) - 1;
      rollout += row_vector(rollout_from_residual_attention(ra).rollout.back(), last);
      flow += row_vector(flow_from_residual_attention(ra, {-1, {static_cast<int>(last)}}).flow, 0);
    }
    const double n = static_cast<double>(k.cases.size());
    rollout /= n;
    flow /= n;
    out[kind] = {{"family", k.family},
                 {"n", k.cases.size()},
                 {"n_pos", n_pos},
                 {"rollout", std::vector<double>(rollout.data(), rollout.data() + rollout.size())},
                 {"flow", std::vector<double>(flow.data(), flow.data() + flow.size())}};
  }
  return with_answered_wrong(
      {{"mode", "suite"}, {"position", "last prompt token"}, {"layer", model.config.n_layers}, {"by_kind", out}},
      answered_wrong);
}

json run_attribution(const AnalysisRequest& request) {
  ObservationSettings in(request, "attribution", attribution_settings());
  const Model& model = request.session.model();
  if (const std::optional<Case>& focus = in.focus()) {
    in.refuse_suite_settings();
    in.reader().finish();
    const LogitAttribution a = direct_logit_attribution(model, focus->tokens, {-1, focus->answer, focus->foil});
    return {{"mode", "prompt"}, {"case", case_json(request.session, *focus)}, {"attribution", to_json(a)}};
  }
  json answered_wrong;
  const auto by_kind = in.suite_cases(answered_wrong);
  const size_t total = count_cases(by_kind);
  size_t done = 0;
  json components = json::array(), out = json::object();
  for (const auto& [kind, k] : by_kind) {
    std::vector<double> logit, diff;
    double model_logit = 0, model_diff = 0;
    for (const Case& c : k.cases) {
      report_case(request, "attribution", done++, total);
      const LogitAttribution a = direct_logit_attribution(model, c.tokens, {-1, c.answer, c.foil});
      if (logit.empty()) {
        logit.assign(a.components.size(), 0.0);
        diff.assign(a.components.size(), 0.0);
      }
      if (components.empty())
        for (const Component& comp : a.components) {
          json j = {{"kind", component_kind_name(comp.kind)}, {"label", comp.label}};
          if (comp.layer >= 0) j["layer"] = comp.layer;
          if (comp.head >= 0) j["head"] = comp.head;
          components.push_back(std::move(j));
        }
      for (size_t i = 0; i < a.components.size(); ++i) {
        logit[i] += a.components[i].logit;
        diff[i] += a.components[i].logit_diff;
      }
      model_logit += a.model_logit;
      model_diff += a.model_logit_diff;
    }
    const size_t n = k.cases.size();
    out[kind] = {{"family", k.family},
                 {"n", n},
                 {"logit", divided(logit, n)},
                 {"logit_diff", divided(diff, n)},
                 {"model_logit", model_logit / static_cast<double>(n)},
                 {"model_logit_diff", model_diff / static_cast<double>(n)}};
  }
  return with_answered_wrong({{"mode", "suite"},
                              {"position", "last prompt token"},
                              {"foil", "corrupt_answer"},
                              {"components", components},
                              {"by_kind", out}},
                             answered_wrong);
}

json run_head_scores(const AnalysisRequest& request) {
  const std::string name = "head-scores";
  SettingsReader reader(request.settings, name, head_scores_settings());
  const ModelConfig& c = request.session.model().config;
  HeadScoreSettings s;
  const int bos = reader.get_int("bos", -1, -1, c.d_vocab - 1);
  if (bos >= 0) s.bos = bos;
  const int longest = (static_cast<int>(c.n_ctx) - (s.bos ? 1 : 0)) / 2;
  s.period = reader.get_int("period", std::min(20, longest), 2, std::max(2, longest));
  s.n_sequences = reader.get_int("n_sequences", 4, 1, 1024);
  s.token_min = reader.get_int("token_min", 0, 0, c.d_vocab - 1);
  s.token_max = reader.get_int("token_max", c.d_vocab, 1, c.d_vocab);
  if (s.token_min >= s.token_max)
    fail_expected(name + ".token_min", "below token_max = " + std::to_string(s.token_max), std::to_string(s.token_min));
  reader.finish();
  s.seed = static_cast<uint32_t>(request.seed & 0xffffffffu);  // mt19937 takes 32 bits
  request.report(0.0, "head scores");
  return to_json(head_scores(request.session.model(), s));
}

}  // namespace strata
