// The observation analyses behind their names: settings read and checked,
// one prompt or the suite chosen, the per-kind averages at the answer
// position computed, and everything turned into the JSON a report stores.
#include "analysis/observation-runners.h"

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/attention-flow.h"
#include "analysis/attribution.h"
#include "analysis/head-scores.h"
#include "analysis/logit-lens.h"
#include "base/error.h"
#include "io/json-reader.h"

namespace strata {

namespace {

using nlohmann::json;

constexpr size_t kMaxPromptChars = 4096;

// --- what to look at: one prompt, one item, or the suite ---------------------

struct Case {
  std::string id;    // the item's id, or "" for a prompt given in the settings
  std::string kind;  // the item's kind, or ""
  std::vector<int32_t> tokens;
  int32_t answer = 0;
  std::optional<int32_t> foil;
};

int32_t single_token(const Session& session, const std::string& text, const std::string& where) {
  const std::vector<int32_t> ids = session.tokenize(text);
  if (ids.size() != 1) fail_expected(where, "a single token", std::to_string(ids.size()) + " tokens");
  return ids[0];
}

Case item_case(const Session& session, const SuiteItem& item) {
  const std::string where = "suite item \"" + item.id + "\"";
  Case c{item.id, item.kind, session.tokenize(item.prompt), 0, std::nullopt};
  if (c.tokens.empty()) fail_expected(where + ": prompt", "at least one token", "none");
  c.answer = single_token(session, item.answer, where + ": answer");
  c.foil = single_token(session, item.corrupt_answer, where + ": corrupt_answer");
  return c;
}

// Removes a string setting from `settings` (SettingsReader reads numbers,
// flags and choices; free text is read here) and returns it.
std::optional<std::string> take_string(json& settings, const std::string& key, const std::string& analysis) {
  const auto it = settings.find(key);
  if (it == settings.end()) return std::nullopt;
  const json value = *it;
  settings.erase(it);
  if (value.is_null()) return std::nullopt;
  const std::string where = analysis + "." + key;
  if (!value.is_string()) fail_expected(where, "a string", json_describe(value));
  const std::string text = value.get<std::string>();
  if (text.empty() || text.size() > kMaxPromptChars)
    fail_expected(where, "a string of 1 to " + std::to_string(kMaxPromptChars) + " bytes",
                  std::to_string(text.size()) + " bytes");
  return text;
}

// The one case the settings name ("prompt"/"answer"/"foil" or "item"), taken
// out of `settings`; nullopt when they name none (the suite is meant).
std::optional<Case> take_focus(const AnalysisRequest& request, json& settings, const std::string& analysis,
                               bool foil_allowed) {
  const auto prompt = take_string(settings, "prompt", analysis);
  const auto answer = take_string(settings, "answer", analysis);
  const auto foil = foil_allowed ? take_string(settings, "foil", analysis) : std::nullopt;
  const auto item = take_string(settings, "item", analysis);
  if (item) {
    if (prompt || answer || foil)
      throw Error(analysis + ".item: give either an item or a prompt with its answer, not both");
    const Suite& suite = request.require_suite(analysis);
    for (const SuiteItem& it : suite.items)
      if (it.id == *item) return item_case(request.session, it);
    fail_expected(analysis + ".item", "the id of an item of the suite", json(*item).dump());
  }
  if (!prompt) {
    if (answer) throw Error(analysis + ".answer: given without a prompt");
    if (foil) throw Error(analysis + ".foil: given without a prompt");
    return std::nullopt;
  }
  if (!answer) throw Error(analysis + ".answer: missing (a prompt needs the token that should follow it)");
  Case c;
  c.tokens = request.session.tokenize(*prompt);
  if (c.tokens.empty()) fail_expected(analysis + ".prompt", "at least one token", "none");
  c.answer = single_token(request.session, *answer, analysis + ".answer");
  if (foil) c.foil = single_token(request.session, *foil, analysis + ".foil");
  return c;
}

struct KindCases {
  std::string family;
  std::vector<Case> cases;
};

// The suite's items by kind (kinds in name order, items in suite order),
// narrowed by "split" and "max_items_per_kind".
std::map<std::string, KindCases> suite_cases(const AnalysisRequest& request, SettingsReader& reader,
                                             const std::string& analysis) {
  const Suite& suite = request.require_suite(analysis);
  const std::string split = reader.get_choice("split", "all", {"all", "trained", "heldout"});
  const int max_per_kind = reader.get_int("max_items_per_kind", 0, 0, 1 << 20);
  std::map<std::string, KindCases> by_kind;
  for (const SuiteItem& item : suite.items) {
    if (split != "all" && item.split != split) continue;
    KindCases& k = by_kind[item.kind];
    k.family = item.family;
    if (max_per_kind > 0 && static_cast<int>(k.cases.size()) >= max_per_kind) continue;
    k.cases.push_back(item_case(request.session, item));
  }
  for (auto it = by_kind.begin(); it != by_kind.end();) it = it->second.cases.empty() ? by_kind.erase(it) : ++it;
  if (by_kind.empty()) throw Error(analysis + ".split: no item of the suite is in split \"" + split + "\"");
  return by_kind;
}

size_t count_cases(const std::map<std::string, KindCases>& by_kind) {
  size_t n = 0;
  for (const auto& [kind, k] : by_kind) n += k.cases.size();
  return n;
}

// Refuses suite-only settings when one prompt or item is looked at.
void refuse_suite_settings(const json& settings, const std::string& analysis) {
  for (const char* key : {"split", "max_items_per_kind"})
    if (settings.contains(key))
      throw Error(analysis + "." + key + ": applies to the suite, not to one prompt or item");
}

json case_json(const Session& session, const Case& c) {
  json tokens = json::array();
  for (int32_t id : c.tokens) tokens.push_back(session.token_text(id));
  json j = {{"ids", c.tokens}, {"tokens", tokens}, {"answer", c.answer}};
  j["item"] = c.id.empty() ? json(nullptr) : json(c.id);
  j["foil"] = c.foil ? json(*c.foil) : json(nullptr);
  return j;
}

// Calls request.report for case i of n, the cases spanning [from, to] of the analysis.
void report_case(const AnalysisRequest& request, const std::string& what, size_t i, size_t n, double from = 0.0,
                 double to = 1.0) {
  request.report(from + (to - from) * static_cast<double>(i) / static_cast<double>(n),
                 what + " " + std::to_string(i + 1) + "/" + std::to_string(n));
}

std::vector<double> divided(std::vector<double> sums, size_t n) {
  for (double& s : sums) s /= static_cast<double>(n);
  return sums;
}

// --- lenses at the answer position, per kind -----------------------------------

// Per boundary, the answer's probability and rank, whether it is the top
// token, and the KL to the model's output, at the last prompt position,
// averaged over each kind's items. With a tuned lens the residuals are mapped first.
json lens_by_kind(const AnalysisRequest& request, const std::map<std::string, KindCases>& by_kind,
                  const TunedLens* tuned, const std::string& what, double progress_from = 0.0) {
  const Model& model = request.session.model();
  const int L = model.config.n_layers;
  const size_t total = count_cases(by_kind);
  size_t done = 0;
  json out = json::object();
  for (const auto& [kind, k] : by_kind) {
    std::vector<double> prob(L + 1, 0.0), rank(L + 1, 0.0), top1(L + 1, 0.0), kl(L + 1, 0.0);
    for (const Case& c : k.cases) {
      report_case(request, what, done++, total, progress_from);
      const std::vector<Mat> b = residual_boundaries(model, c.tokens);
      const Eigen::Index last = static_cast<Eigen::Index>(c.tokens.size()) - 1;
      const Eigen::MatrixXd log_final = log_softmax_rows(lens_logits(model, Mat(b[L].row(last))));
      for (int l = 0; l <= L; ++l) {
        Mat h = b[l].row(last);
        if (tuned) h = apply_tuned_lens(*tuned, l, h);
        const Eigen::MatrixXd log_p = log_softmax_rows(lens_logits(model, h));
        const double a = log_p(0, c.answer);
        const int r = 1 + static_cast<int>((log_p.row(0).array() > a).count());
        prob[l] += std::exp(a);
        rank[l] += r;
        top1[l] += r == 1 ? 1.0 : 0.0;
        kl[l] += kl_rows(log_final, log_p)[0];
      }
    }
    const size_t n = k.cases.size();
    out[kind] = {{"family", k.family},
                 {"n", n},
                 {"answer_prob", divided(prob, n)},
                 {"answer_rank", divided(rank, n)},
                 {"answer_top1", divided(top1, n)},
                 {"kl_to_final", divided(kl, n)}};
  }
  return out;
}

std::vector<std::string> boundary_hooks(const ModelConfig& config) {
  std::vector<std::string> hooks;
  for (int b = 0; b <= config.n_layers; ++b) hooks.push_back(boundary_hook_name(config, b));
  return hooks;
}

LensSettings lens_settings(SettingsReader& reader, const Case& c) {
  LensSettings s;
  s.top_k = reader.get_int("top_k", 5, 0, 100);
  s.target = c.answer;
  return s;
}

// --- tuned lens fit -----------------------------------------------------------

std::vector<std::vector<int32_t>> prompts_of(const std::vector<const Case*>& cases) {
  std::vector<std::vector<int32_t>> prompts;
  for (const Case* c : cases) prompts.push_back(c->tokens);
  return prompts;
}

// --- attention flow: per kind, every prompt has the same length ---------------

Eigen::VectorXd row_vector(const Mat& m, Eigen::Index row) { return m.row(row).transpose().cast<double>(); }

}  // namespace

// --- the runners ---------------------------------------------------------------

json run_logit_lens(const AnalysisRequest& request) {
  const std::string name = "logit-lens";
  json settings = request.settings;
  const std::optional<Case> focus = take_focus(request, settings, name, false);
  SettingsReader reader(settings, name);
  const Model& model = request.session.model();
  if (focus) {
    refuse_suite_settings(settings, name);
    const LensSettings s = lens_settings(reader, *focus);
    reader.finish();
    return {{"mode", "prompt"}, {"case", case_json(request.session, *focus)}, {"lens", to_json(logit_lens(model, focus->tokens, s))}};
  }
  const auto by_kind = suite_cases(request, reader, name);
  reader.finish();
  return {{"mode", "suite"},
          {"position", "last prompt token"},
          {"boundary_hooks", boundary_hooks(model.config)},
          {"by_kind", lens_by_kind(request, by_kind, nullptr, "logit lens")}};
}

TunedLensRun fit_suite_tuned_lens(const AnalysisRequest& request) {
  const std::string name = "tuned-lens";
  json settings = request.settings;
  const std::optional<Case> focus = take_focus(request, settings, name, false);
  SettingsReader reader(settings, name);
  const Model& model = request.session.model();
  TunedLensFitSettings fit_settings;
  fit_settings.ridge = reader.get_double("ridge", 1e-3, 0.0, 1e6);
  fit_settings.max_positions = reader.get_int("max_positions", 8192, 1, 1 << 22);
  const int heldout_every = reader.get_int("heldout_every", 5, 2, 1000);
  const std::optional<LensSettings> view = focus ? std::optional<LensSettings>(lens_settings(reader, *focus)) : std::nullopt;
  const auto by_kind = suite_cases(request, reader, name);
  reader.finish();

  // Items in suite order; every heldout_every-th one is kept out of the fit.
  std::map<std::string, const Case*> by_id;
  for (const auto& [kind, k] : by_kind)
    for (const Case& c : k.cases) by_id[c.id] = &c;
  std::vector<const Case*> ordered, fit_cases, heldout_cases;
  for (const SuiteItem& item : request.suite->items)
    if (by_id.count(item.id)) ordered.push_back(by_id.at(item.id));
  for (size_t i = 0; i < ordered.size(); ++i)
    ((i + 1) % heldout_every == 0 ? heldout_cases : fit_cases).push_back(ordered[i]);
  if (fit_cases.empty() || heldout_cases.empty())
    throw Error(name + ": needs at least " + std::to_string(heldout_every) + " suite items to fit and hold some out, found " +
                std::to_string(ordered.size()));

  request.report(0.0, "tuned lens: fitting");
  TunedLensRun out;
  TunedLensFit fit = fit_tuned_lens(model, prompts_of(fit_cases), fit_settings);
  out.lens = std::move(fit.lens);
  request.report(0.45, "tuned lens: held-out quality");
  const TunedLensQuality heldout = evaluate_tuned_lens(model, out.lens, prompts_of(heldout_cases));
  out.result = {{"mode", focus ? "prompt" : "suite"},
                {"ridge", fit_settings.ridge},
                {"max_positions", fit_settings.max_positions},
                {"heldout_every", heldout_every},
                {"n_fit_items", fit_cases.size()},
                {"n_heldout_items", heldout_cases.size()},
                {"boundary_hooks", boundary_hooks(model.config)},
                {"fit", to_json(fit.quality)},
                {"heldout", to_json(heldout)},
                {"by_kind", lens_by_kind(request, by_kind, &out.lens, "tuned lens", 0.55)}};
  if (focus) {
    out.result["case"] = case_json(request.session, *focus);
    out.result["lens"] = to_json(tuned_lens(model, out.lens, focus->tokens, *view));
  }
  return out;
}

json run_tuned_lens(const AnalysisRequest& request) { return fit_suite_tuned_lens(request).result; }

json run_attention_flow(const AnalysisRequest& request) {
  const std::string name = "attention-flow";
  json settings = request.settings;
  const std::optional<Case> focus = take_focus(request, settings, name, false);
  SettingsReader reader(settings, name);
  const Model& model = request.session.model();
  if (focus) {
    refuse_suite_settings(settings, name);
    reader.finish();
    const std::vector<Mat> ra = residual_attention(model, focus->tokens);
    return {{"mode", "prompt"},
            {"case", case_json(request.session, *focus)},
            {"rollout", to_json(rollout_from_residual_attention(ra))},
            {"flow", to_json(flow_from_residual_attention(ra, {}))}};
  }
  const auto by_kind = suite_cases(request, reader, name);
  reader.finish();
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
  return {{"mode", "suite"}, {"position", "last prompt token"}, {"layer", model.config.n_layers}, {"by_kind", out}};
}

json run_attribution(const AnalysisRequest& request) {
  const std::string name = "attribution";
  json settings = request.settings;
  const std::optional<Case> focus = take_focus(request, settings, name, true);
  SettingsReader reader(settings, name);
  const Model& model = request.session.model();
  if (focus) {
    refuse_suite_settings(settings, name);
    reader.finish();
    const LogitAttribution a = direct_logit_attribution(model, focus->tokens, {-1, focus->answer, focus->foil});
    return {{"mode", "prompt"}, {"case", case_json(request.session, *focus)}, {"attribution", to_json(a)}};
  }
  const auto by_kind = suite_cases(request, reader, name);
  reader.finish();
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
  return {{"mode", "suite"},
          {"position", "last prompt token"},
          {"foil", "corrupt_answer"},
          {"components", components},
          {"by_kind", out}};
}

json run_head_scores(const AnalysisRequest& request) {
  const std::string name = "head-scores";
  SettingsReader reader(request.settings, name);
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
