// The tuned-lens analysis on a suite: fitting and held-out items drawn per
// kind with the seed, the fit (tuned-lens.h), and its quality per kind beside
// the logit lens's, with where the tuned lens does worse and why.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/observation/observation-cases.h"
#include "analysis/observation/observation-runners.h"
#include "analysis/shared/statistics.h"
#include "analysis/sweeps/sweep-budget.h"
#include "base/error.h"
#include "base/seeded-random.h"
#include "base/sha256.h"

namespace strata {

namespace {

using nlohmann::json;

// The salt that keeps the split's draws apart from every other use of the seed.
constexpr uint64_t kSplitSalt = 0x7475'6e65'642d'6c6eull;  // "tuned-ln"

struct KindSplit {
  std::vector<const Case*> fit, heldout;
};

// Per kind, the items shuffled with the seed: the first ceil(heldout_fraction · n)
// (at least 1, leaving at least 1) are held out, the rest are fitted on.
std::map<std::string, KindSplit> split_by_kind(const std::map<std::string, KindCases>& by_kind, double heldout_fraction,
                                               uint64_t seed) {
  PortableRandom rng(seed ^ kSplitSalt);
  std::map<std::string, KindSplit> out;
  for (const auto& [kind, k] : by_kind) {
    const size_t n = k.cases.size();
    if (n < 2)
      throw Error("tuned-lens: kind \"" + kind + "\" has " + std::to_string(n) +
                  " item; each kind needs at least 2, one to fit and one to hold out");
    std::vector<const Case*> order;
    for (const Case& c : k.cases) order.push_back(&c);
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(static_cast<uint32_t>(i))]);
    const size_t n_heldout = std::clamp<size_t>(static_cast<size_t>(std::ceil(heldout_fraction * n)), 1, n - 1);
    KindSplit& s = out[kind];
    s.heldout.assign(order.begin(), order.begin() + n_heldout);
    s.fit.assign(order.begin() + n_heldout, order.end());
    auto by_id = [](const Case* a, const Case* b) { return a->id < b->id; };
    std::sort(s.heldout.begin(), s.heldout.end(), by_id);
    std::sort(s.fit.begin(), s.fit.end(), by_id);
  }
  return out;
}

std::vector<std::vector<int32_t>> prompts_of(const std::vector<const Case*>& cases) {
  std::vector<std::vector<int32_t>> prompts;
  for (const Case* c : cases) prompts.push_back(c->tokens);
  return prompts;
}

// Quality pooled over kinds: the position-weighted mean of the kinds' means.
TunedLensQuality pooled(const std::map<std::string, TunedLensQuality>& by_kind) {
  TunedLensQuality q;
  for (const auto& [kind, k] : by_kind) {
    if (q.kl_logit_lens.empty()) {
      q.kl_logit_lens.assign(k.kl_logit_lens.size(), 0.0);
      q.kl_tuned_lens.assign(k.kl_tuned_lens.size(), 0.0);
    }
    for (size_t b = 0; b < k.kl_logit_lens.size(); ++b) {
      q.kl_logit_lens[b] += k.kl_logit_lens[b] * static_cast<double>(k.n_positions);
      q.kl_tuned_lens[b] += k.kl_tuned_lens[b] * static_cast<double>(k.n_positions);
    }
    q.n_positions += k.n_positions;
  }
  for (size_t b = 0; b < q.kl_logit_lens.size(); ++b) {
    q.kl_logit_lens[b] /= static_cast<double>(q.n_positions);
    q.kl_tuned_lens[b] /= static_cast<double>(q.n_positions);
  }
  return q;
}

json kind_quality_json(size_t n_items, const TunedLensQuality& q) {
  return {{"n_items", n_items}, {"n_positions", q.n_positions}, {"tuned_kl", q.kl_tuned_lens}, {"logit_kl", q.kl_logit_lens}};
}

// Every (kind, boundary) whose held-out KL is above the logit lens's, with the
// reason the fit items give: above there too, the one map per boundary serves
// the other kinds at this kind's expense; below there, it fits its fitting
// items and does not carry over (overfitting).
json tuned_above_logit(const std::map<std::string, TunedLensQuality>& fit,
                       const std::map<std::string, TunedLensQuality>& heldout) {
  json out = json::array();
  for (const auto& [kind, h] : heldout) {
    const TunedLensQuality& f = fit.at(kind);
    for (size_t b = 0; b < h.kl_tuned_lens.size(); ++b) {
      if (!(h.kl_tuned_lens[b] > h.kl_logit_lens[b] + 1e-9)) continue;
      const bool also_on_fit = f.kl_tuned_lens[b] > f.kl_logit_lens[b];
      out.push_back({{"kind", kind},
                     {"boundary", b},
                     {"heldout_tuned_kl", h.kl_tuned_lens[b]},
                     {"heldout_logit_kl", h.kl_logit_lens[b]},
                     {"fit_tuned_kl", f.kl_tuned_lens[b]},
                     {"fit_logit_kl", f.kl_logit_lens[b]},
                     {"reason", also_on_fit ? "shared map: the tuned lens is above the logit lens on this kind's fitting "
                                              "items too; one map per boundary, fitted on every kind, serves the others "
                                              "at this kind's expense"
                                            : "overfitting: below the logit lens on this kind's fitting items, above on "
                                              "its held-out items"}});
    }
  }
  return out;
}

// --- the time budget ----------------------------------------------------------

// Floating-point operations of fit_on_split on `split` (the terms that grow with
// the vocabulary and the residual width; u is one position's unembedding):
//   the fit:      a forward pass per fitting prompt; per boundary the least-squares
//                 fit (4 n d^2 + d^3) and, with the KL objective, (steps + 2) passes
//                 of the lens over every fitting position (u + 2 d^2 forward, u + 2 d^2 back);
//   the quality:  a forward pass and both lenses at every position and boundary
//                 (2 u + 2 d^2 each, and u for the output) on every prompt;
//   per kind:     a forward pass and both lenses at the last position of each held-out item.
double fit_flops(const ModelConfig& c, const TunedLensFitSettings& fit, const std::map<std::string, KindSplit>& split) {
  const double d = c.d_model, L = c.n_layers, u = 2.0 * d * static_cast<double>(c.d_vocab);
  const double lens_at = 2 * u + 2 * d * d;  // both lenses at one boundary and position
  double fit_positions = 0, flops = 0;
  for (const auto& [kind, s] : split) {
    for (const Case* f : s.fit) {
      const auto n = static_cast<int64_t>(f->tokens.size());
      fit_positions += static_cast<double>(n);
      flops += 2 * forward_flops(c, n) + static_cast<double>(n) * ((L + 1) * lens_at + u);
    }
    for (const Case* h : s.heldout) {
      const auto n = static_cast<int64_t>(h->tokens.size());
      flops += 2 * forward_flops(c, n) + static_cast<double>(n) * ((L + 1) * lens_at + u) + (L + 2) * lens_at;
    }
  }
  flops += L * (4 * fit_positions * d * d + d * d * d);
  if (fit.objective == TunedLensObjective::Kl)
    flops += L * (fit.steps + 2) * fit_positions * (2 * u + 4 * d * d) + fit_positions * u;
  return flops;
}

// The rule of the tuned lens's time budget, fixed in advance (docs/methods.md,
// "Tuned lens"): when the estimate of the whole fit exceeds the budget,
//   1. the KL objective gives way to the least-squares fit alone if the KL fit
//      would exceed the budget even on kMinItemsPerKind items per kind;
//   2. the items are drawn again with items_per_kind n, n the largest that
//      brings the estimate within the budget (never below kMinItemsPerKind);
//      the fitting and held-out items are then drawn from those as always.
// draw(n) gives the suite's items drawn with items_per_kind n. Returns the
// result's "budget" when it cut, and cuts `by_kind` and `fit`.
std::optional<json> fit_to_time_budget(const ModelConfig& c, double budget_seconds, double heldout_fraction,
                                       uint64_t seed,
                                       const std::function<std::map<std::string, KindCases>(size_t)>& draw,
                                       std::map<std::string, KindCases>& by_kind, TunedLensFitSettings& fit) {
  if (budget_seconds <= 0) return std::nullopt;
  const auto seconds = [&](const TunedLensFitSettings& settings, const std::map<std::string, KindCases>& cases) {
    return fit_flops(c, settings, split_by_kind(cases, heldout_fraction, seed)) / kReferenceFlops;
  };
  size_t most = 0;
  for (const auto& [kind, k] : by_kind) most = std::max(most, k.cases.size());
  const double all_seconds = seconds(fit, by_kind);
  if (all_seconds <= budget_seconds) return std::nullopt;
  const size_t fewest = std::min(most, static_cast<size_t>(kMinItemsPerKind));
  if (fit.objective == TunedLensObjective::Kl && seconds(fit, draw(fewest)) > budget_seconds)
    fit.objective = TunedLensObjective::LeastSquares;
  size_t n = most;
  std::map<std::string, KindCases> cut = by_kind;
  while (n > fewest && seconds(fit, cut) > budget_seconds) cut = draw(--n);
  by_kind = std::move(cut);
  return json{{"budget_seconds", budget_seconds},
              {"estimated_seconds_all", all_seconds},
              {"items_per_kind_all", most},
              {"estimated_seconds", seconds(fit, by_kind)},
              {"items_per_kind", n},
              {"objective", fit.objective == TunedLensObjective::Kl ? "kl" : "least-squares"}};
}

struct FitMemo {
  std::string key;  // fit_key() of the run, "" while none is kept
  TunedLensRun run;  // without the focus item's parts
};

// SHA-256 of everything a suite fit is computed from: the weights, the
// settings, and per kind its family and the fitting and held-out items
// (ids, tokens, answers, foils).
std::string fit_key(const Model& model, const TunedLensFitSettings& fit_settings, double heldout_fraction, const std::map<std::string, KindCases>& by_kind,
                    const std::map<std::string, KindSplit>& split) {
  const auto cases_json = [](const std::vector<const Case*>& cases) {
    json out = json::array();
    for (const Case* c : cases) out.push_back({c->id, c->tokens, c->answer, c->foil.value_or(-1)});
    return out;
  };
  json key = {{"weights", model.weights_sha256},
              {"settings", {static_cast<int>(fit_settings.objective), fit_settings.ridge, fit_settings.steps,
                            fit_settings.learning_rate, heldout_fraction}}};
  for (const auto& [kind, s] : split)
    key["kinds"][kind] = {by_kind.at(kind).family, cases_json(s.fit), cases_json(s.heldout)};
  const std::string text = key.dump();
  return sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// The fit on the split and its quality per kind: the result without the focus item.
TunedLensRun fit_on_split(const AnalysisRequest& request, const TunedLensFitSettings& fit_settings,
                          double heldout_fraction,
                          const std::map<std::string, KindCases>& by_kind, const std::map<std::string, KindSplit>& split) {
  const Model& model = request.session.model();
  std::vector<const Case*> fit_cases;
  std::map<std::string, KindCases> heldout_by_kind;
  json fit_items = json::object();
  for (const auto& [kind, s] : split) {
    fit_cases.insert(fit_cases.end(), s.fit.begin(), s.fit.end());
    fit_items[kind] = s.fit.size();
    KindCases& h = heldout_by_kind[kind];
    h.family = by_kind.at(kind).family;
    for (const Case* c : s.heldout) h.cases.push_back(*c);
  }

  request.report(0.0, "tuned lens: fitting");
  TunedLensRun out;
  TunedLensFit fit = fit_tuned_lens_maps(model, prompts_of(fit_cases), fit_settings,
                                         [&](double done) { request.report(0.6 * done, "tuned lens: fitting"); });
  out.lens = std::move(fit.lens);

  std::map<std::string, TunedLensQuality> fit_quality, heldout_quality;
  json fit_kl = json::object(), heldout_kl = json::object(), fit_positions = json::object();
  size_t kinds_done = 0;
  for (const auto& [kind, s] : split) {
    request.report(0.6 + 0.25 * static_cast<double>(kinds_done++) / static_cast<double>(split.size()),
                   "tuned lens: quality on " + kind);
    fit_quality[kind] = evaluate_tuned_lens(model, out.lens, prompts_of(s.fit));
    heldout_quality[kind] = evaluate_tuned_lens(model, out.lens, prompts_of(s.heldout));
    fit_kl[kind] = kind_quality_json(s.fit.size(), fit_quality[kind]);
    heldout_kl[kind] = kind_quality_json(s.heldout.size(), heldout_quality[kind]);
    fit_positions[kind] = fit_quality[kind].n_positions;
  }
  json fit_json = to_json(pooled(fit_quality));
  fit_json["n_items"] = fit_cases.size();
  fit_json["by_kind"] = fit_items;
  fit_json["positions_by_kind"] = fit_positions;
  fit_json["kl_by_kind"] = fit_kl;
  if (!fit.kl_start.empty()) {
    fit_json["objective_start"] = fit.kl_start;
    fit_json["objective_end"] = fit.kl_end;
  }
  json heldout_json = to_json(pooled(heldout_quality));
  heldout_json["n_items"] = count_cases(heldout_by_kind);
  heldout_json["by_kind"] = heldout_kl;
  heldout_json["tuned_above_logit"] = tuned_above_logit(fit_quality, heldout_quality);

  out.result = {{"fit_method", fit_name(fit_settings)},
                {"settings",
                 {{"objective", fit_settings.objective == TunedLensObjective::Kl ? "kl" : "least-squares"},
                  {"ridge", fit_settings.ridge},
                  {"steps", fit_settings.steps},
                  {"learning_rate", fit_settings.learning_rate},
                  {"heldout_fraction", heldout_fraction}}},
                {"boundary_hooks", boundary_hook_names(model.config)},
                {"fit", fit_json},
                {"heldout", heldout_json},
                {"by_kind_items", "heldout"},
                {"by_kind", lens_by_kind(request, heldout_by_kind, &out.lens, "tuned lens", 0.85)}};
  return out;
}

}  // namespace

const SettingsTable& tuned_lens_settings() {
  static const SettingsTable table =
      focus_settings(true) + suite_case_settings(false) +
      SettingsTable{choice_setting("objective", "kl", {"kl", "least-squares"},
                                   "what the lens is fitted to: KL to the model's output (from the least-squares "
                                   "start), or least squares to the final residual alone"),
                    number_setting("ridge", 1e-3, 0.0, 1e6, "the least-squares pull towards the identity"),
                    integer_setting("steps", 250, 0, 5000, "Adam steps of the KL fit (250 as in the paper)"),
                    number_setting("learning_rate", 1e-3, 1e-7, 1.0, "Adam's step size"),
                    number_setting("heldout_fraction", 0.2, 0.05, 0.5,
                                   "the share of each kind's items (at least one, leaving one) held out"),
                    top_k_setting(),
                    budget_setting()};
  return table;
}

TunedLensRun fit_suite_tuned_lens(const AnalysisRequest& request) {
  ObservationSettings in(request, "tuned-lens", tuned_lens_settings());
  const std::optional<Case>& focus = in.focus();
  SettingsReader& reader = in.reader();
  const Model& model = request.session.model();
  TunedLensFitSettings fit_settings;
  fit_settings.objective =
      reader.get_choice("objective") == "kl" ? TunedLensObjective::Kl : TunedLensObjective::LeastSquares;
  fit_settings.ridge = reader.get_double("ridge");
  fit_settings.steps = reader.get_int("steps");
  fit_settings.learning_rate = reader.get_double("learning_rate");
  const double heldout_fraction = reader.get_double("heldout_fraction");
  const std::optional<LensSettings> view = focus ? std::optional<LensSettings>(lens_settings(reader, *focus)) : std::nullopt;
  const double budget_seconds = reader.get_double("budget_seconds");
  json answered_wrong;
  ItemSelection selection = in.read_selection();
  auto by_kind = in.suite_cases(selection, answered_wrong);
  const auto draw = [&](size_t n) {
    selection.items_per_kind = static_cast<int>(n);
    json ignored;
    return in.suite_cases(selection, ignored);
  };
  const std::optional<json> budget =
      fit_to_time_budget(model.config, budget_seconds, heldout_fraction, request.seed, draw, by_kind, fit_settings);

  const std::map<std::string, KindSplit> split = split_by_kind(by_kind, heldout_fraction, request.seed);
  // The fit depends on the model, the settings and the prompts drawn, never on
  // the item in focus: the page asks once per item it shows, so the last fit is
  // kept and reused when everything it was computed from is the same again.
  const std::string key = fit_key(model, fit_settings, heldout_fraction, by_kind, split);
  thread_local FitMemo memo;  // a page worker and the command line each run one engine per thread
  if (memo.key != key) {
    memo.key.clear();
    memo.run = fit_on_split(request, fit_settings, heldout_fraction, by_kind, split);
    memo.key = key;
  } else {
    request.report(0.85, "tuned lens: fitted before on these items, reused");
  }
  TunedLensRun out = memo.run;
  out.result["mode"] = focus ? "prompt" : "suite";
  out.result = with_budget(with_answered_wrong(std::move(out.result), answered_wrong), budget_seconds, budget);
  if (focus) {
    out.result["case"] = case_json(request.session, *focus);
    out.result["lens"] = to_json(tuned_lens(model, out.lens, focus->tokens, *view));
  }
  return out;
}

json run_tuned_lens(const AnalysisRequest& request) { return fit_suite_tuned_lens(request).result; }

}  // namespace strata
