// The observation analyses' shared pieces (observation-cases.h).
#include "analysis/observation/observation-cases.h"

#include <cmath>

#include "base/error.h"
#include "io/json-reader.h"

namespace strata {

using nlohmann::json;

namespace {

constexpr size_t kMaxPromptChars = 4096;

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

}  // namespace


// --- what to look at: one prompt, one item, or the suite ---------------------

Case item_case(const Session& session, const SuiteItem& item) {
  const std::string where = "suite item \"" + item.id + "\"";
  Case c{item.id, item.kind, session.tokenize(item.prompt), 0, std::nullopt};
  if (c.tokens.empty()) fail_expected(where + ": prompt", "at least one token", "none");
  c.answer = single_token(session, item.answer, where + ": answer");
  // A conflict item compares the two sources of an answer: the foil is the memorised one.
  c.foil = item.memory_answer.empty() ? single_token(session, item.corrupt_answer, where + ": corrupt_answer")
                                      : single_token(session, item.memory_answer, where + ": meta.memory_answer");
  return c;
}

namespace {

// The one case the settings name, taken out of `settings`.
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

}  // namespace

SettingsTable focus_settings(bool foil) {
  std::vector<Setting> rows = {text_setting("prompt", "one prompt to look at, with its answer"),
                               text_setting("answer", "the token that should follow the prompt (one token)")};
  if (foil) rows.push_back(text_setting("foil", "a token to compare the answer with (one token)"));
  rows.push_back(text_setting("item", "the id of one suite item to look at (its corrupt answer is the foil; a conflict item's foil is its memorised answer)"));
  return SettingsTable(std::move(rows));
}

SettingsTable suite_case_settings(bool suite_only) {
  const SettingsTable selection = item_selection_settings();
  std::vector<Setting> rows;
  for (const Setting& row : selection.rows())
    rows.push_back(only_in(suite_only ? SettingScope::Suite : SettingScope::Always, row));
  return SettingsTable(std::move(rows));
}

Setting top_k_setting() {
  return only_in(SettingScope::Focus, integer_setting("top_k", 5, 0, 100, "the most probable tokens shown per layer"));
}

ObservationSettings::ObservationSettings(const AnalysisRequest& request, const std::string& analysis,
                                         const SettingsTable& table)
    : request_(request),
      analysis_(analysis),
      settings_(request.settings),
      focus_(take_focus(request, settings_, analysis, table.declares("foil"))),
      reader_(settings_, analysis, table) {}

void ObservationSettings::refuse_suite_settings() const {
  for (const Setting& s : reader_.table().rows())
    if (s.scope == SettingScope::Suite && settings_.contains(s.name))
      throw Error(analysis_ + "." + s.name + ": applies to the suite, not to one prompt or item");
}

ItemSelection ObservationSettings::read_selection() {
  const ItemSelection selection = read_item_selection(reader_);
  reader_.finish();
  return selection;
}

std::map<std::string, KindCases> ObservationSettings::suite_cases(const ItemSelection& selection,
                                                                  json& answered_wrong) const {
  const Suite& suite = request_.require_suite(analysis_);
  const SelectedItems selected = select_suite_items(request_.session, suite, selection, request_.seed, analysis_);
  answered_wrong = selected.answered_wrong;
  std::map<std::string, KindCases> by_kind;
  for (const SelectedKind& k : selected.kinds) {
    KindCases& cases = by_kind[k.name];
    cases.family = k.family;
    for (size_t i : k.items) cases.cases.push_back(item_case(request_.session, suite.items[i]));
  }
  return by_kind;
}

std::map<std::string, KindCases> ObservationSettings::suite_cases(json& answered_wrong) {
  return suite_cases(read_selection(), answered_wrong);
}

json with_answered_wrong(json result, const json& answered_wrong) {
  if (!answered_wrong.is_null()) result["answered_wrong"] = answered_wrong;
  return result;
}

size_t count_cases(const std::map<std::string, KindCases>& by_kind) {
  size_t n = 0;
  for (const auto& [kind, k] : by_kind) n += k.cases.size();
  return n;
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
void report_case(const AnalysisRequest& request, const std::string& what, size_t i, size_t n, double from, double to) {
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
                  const TunedLens* tuned, const std::string& what, double progress_from) {
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

LensSettings lens_settings(SettingsReader& reader, const Case& c) {
  LensSettings s;
  s.top_k = reader.get_int("top_k");
  s.target = c.answer;
  s.foil = c.foil;
  return s;
}

}  // namespace strata
