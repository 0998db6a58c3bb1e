// The circuits analysis: settings, the nested item sets, and the report.
#include "analysis/circuits/circuits.h"

#include <cmath>
#include <cstdio>
#include <optional>

#include "analysis/circuits/circuit-evaluation.h"
#include "analysis/sweeps/sweep-budget.h"
#include "base/seeded-random.h"
#include "base/error.h"

namespace strata {

using nlohmann::json;

const SettingsTable& circuits_settings() {
  static const SettingsTable table = item_selection_settings(kEveryRequiredKind, false) + SettingsTable{
      integer_setting("selection_items_per_kind", 12, 2, 100000, "items per kind the circuits are searched on"),
      integer_setting("validation_items_per_kind", 12, 2, 100000, "items per kind the circuit size is chosen on"),
      integer_setting("test_items_per_kind", 0, 0, 100000, "items per kind the circuits are judged on (0: every remaining item)"),
      integer_setting("null_items_per_kind", 8, 2, 100000, "items per kind the random circuits are scored on"),
      choice_setting("ablation", "resample", {"resample", "mean", "zero"}, "how a component is switched off"),
      integer_setting("donors", 2, 1, 16, "other items each item's resampled values come from (resample)"),
      choice_setting("candidates", "heads_mlps", {"heads_mlps", "attn_mlps"},
                     "the components a circuit is built from: every head and MLP, or every attention block and MLP"),
      flag_setting("restricted", false,
                   "add each MLP at the subject positions and each head at the last position as candidates"),
      integer_setting("max_size", 4, 1, 8, "the most components in a circuit"),
      number_setting("collateral_penalty", 2.0, 0, 100, "the weight of the effect on the other family in the objective"),
      number_setting("search_budget", 50000.0, 0, 1e9,
                     "forward passes the exhaustive search may take; over it, a greedy search with re-scoring"),
      integer_setting("random_circuits", 200, 1, 100000, "random circuits of the same size and mix, the null"),
      integer_setting("bootstrap_samples", 2000, 100, 100000, "resamples of the test items for the 95% intervals"),
      reuse_cache_setting(),
      budget_setting(),
  };
  return table;
}

json circuits_defaults() { return circuits_settings().defaults(); }

namespace {

struct CircuitSettings {
  ItemSelection selection;  // kinds, split and answered (the sets' sizes below)
  int selection_n = 0, validation_n = 0, test_n = 0, null_n = 0;
  std::string ablation, candidates;
  int donors = 0, random_circuits = 0, bootstrap_samples = 0;
  bool restricted = false, reuse_cache = true;
  SearchSettings search;
  double budget_seconds = 0;

  json echo() const {
    return {{"kinds", selection.kinds.empty() ? json(nullptr) : json(selection.kinds)},
            {"split", selection.split},
            {"selection_items_per_kind", selection_n},
            {"validation_items_per_kind", validation_n},
            {"test_items_per_kind", test_n},
            {"null_items_per_kind", null_n},
            {"ablation", ablation},
            {"donors", donors},
            {"candidates", candidates},
            {"restricted", restricted},
            {"max_size", search.max_size},
            {"collateral_penalty", search.penalty},
            {"search_budget", search.budget},
            {"random_circuits", random_circuits},
            {"bootstrap_samples", bootstrap_samples},
            {"reuse_cache", reuse_cache}};
  }
  json echo_all() const {  // "answered" and the budget only when set, as the sweeps echo them
    json e = echo();
    if (selection.keep_answered_wrong) e["answered"] = "all";
    if (budget_seconds > 0) e["budget_seconds"] = budget_seconds;
    return e;
  }
};

CircuitSettings read_settings(const json& given) {
  SettingsReader r(given, "circuits", circuits_settings());
  CircuitSettings s;
  s.selection = read_item_selection(r, false);
  s.selection_n = r.get_int("selection_items_per_kind");
  s.validation_n = r.get_int("validation_items_per_kind");
  s.test_n = r.get_int("test_items_per_kind");
  s.null_n = r.get_int("null_items_per_kind");
  s.ablation = r.get_choice("ablation");
  s.donors = r.get_int("donors");
  s.candidates = r.get_choice("candidates");
  s.restricted = r.get_bool("restricted");
  s.search.max_size = r.get_int("max_size");
  s.search.penalty = r.get_double("collateral_penalty");
  s.search.budget = r.get_double("search_budget");
  s.random_circuits = r.get_int("random_circuits");
  s.bootstrap_samples = r.get_int("bootstrap_samples");
  s.reuse_cache = r.get_bool("reuse_cache");
  s.budget_seconds = r.get_double("budget_seconds");
  r.finish();
  return s;
}

// n items of each kind (0: every one) after the first `offset` of the kind's drawn order.
ItemSet items_after(const Session& session, const Suite& suite, ItemSelection selection, uint64_t seed, int offset,
                    int n) {
  selection.items_per_kind = n;
  return select_items(session, suite, selection, seed, "circuits", static_cast<size_t>(offset));
}

// The four item sets, consecutive slices of each kind's drawn order (the null's
// inside the test's).
struct CircuitItems {
  ItemSet selection, validation, test, null;
};

CircuitItems circuit_items(const Session& session, const Suite& suite, uint64_t seed, const CircuitSettings& s) {
  const int held_back = s.selection_n + s.validation_n;
  return {items_after(session, suite, s.selection, seed, 0, s.selection_n),
          items_after(session, suite, s.selection, seed, s.selection_n, s.validation_n),
          items_after(session, suite, s.selection, seed, held_back, s.test_n),
          items_after(session, suite, s.selection, seed, held_back, s.test_n ? std::min(s.null_n, s.test_n) : s.null_n)};
}

// Forward passes of the whole analysis, an upper bound (a resumed run, reuse_cache,
// costs less than a pass; subsets met twice run once): an intact pass per item;
// per ablated subset, one pass per item and donor; the search's subsets
// (exhaustive: every subset up to max_size; greedy: every candidate at size 1,
// then per target and size every candidate not yet in the path), the best
// subset of each size per target on validation, both circuits on test, and
// random_circuits random circuits per target on the null items.
double circuit_passes(const CircuitSettings& s, const CircuitItems& items, size_t n_candidates) {
  const double donors = s.ablation == "resample" ? s.donors : 1;
  const auto runs = [&](const ItemSet& set) { return static_cast<double>(set.items.size()) * donors; };
  const int max_size = std::min(s.search.max_size, static_cast<int>(n_candidates));
  const double exhaustive = subset_count(n_candidates, max_size);
  double greedy = static_cast<double>(n_candidates);
  for (int k = 1; k < max_size; ++k) greedy += 2.0 * static_cast<double>(n_candidates - static_cast<size_t>(k));
  const double search = exhaustive * runs(items.selection) <= s.search.budget ? exhaustive : greedy;
  double intact = 0;
  for (const ItemSet* set : {&items.selection, &items.validation, &items.test, &items.null})
    intact += static_cast<double>(set->items.size());
  return intact + search * runs(items.selection) + 2.0 * max_size * runs(items.validation) + 2.0 * runs(items.test) +
         2.0 * s.random_circuits * runs(items.null);
}

// The rule of the circuits' time budget, fixed in advance (docs/methods.md,
// "Circuits and selective impairment"): when the estimate of the whole
// analysis (circuit_passes at the reference speed, sweep-budget.h) exceeds
// budget_seconds,
//   1. candidates "heads_mlps" become "attn_mlps" (whole attention layers and
//      MLPs) if even 2 items per kind in every set would exceed the budget;
//   2. the selection set keeps m items per kind, m the largest that fits (never
//      below 2), and the validation, test and null sets shrink in proportion:
//      floor(n · m / selection_items_per_kind), never below 2 (a test set of
//      every remaining item counts as the most any kind has).
// Cuts `s` (and so its echo) and returns the result's "budget"; nullopt when nothing is cut.
std::optional<json> fit_circuits_to_budget(const Session& session, const Suite& suite, uint64_t seed,
                                           CircuitSettings& s) {
  if (s.budget_seconds <= 0) return std::nullopt;
  const ModelConfig& config = session.model().config;
  const auto seconds = [&](const CircuitSettings& t) {
    const CircuitItems items = circuit_items(session, suite, seed, t);
    const size_t n_candidates = circuit_candidates(config, t.candidates, t.restricted).size();
    return circuit_passes(t, items, n_candidates) * forward_flops(config, items.selection.n_pos) / kReferenceFlops;
  };
  const auto per_kind = [](const CircuitSettings& t) {
    return json{{"selection", t.selection_n}, {"validation", t.validation_n}, {"test", t.test_n}, {"null", t.null_n}};
  };
  CircuitSettings all = s;
  if (all.test_n == 0) {  // every remaining item: the most any kind has
    for (const KindGroup& k : circuit_items(session, suite, seed, all).test.kinds)
      all.test_n = std::max(all.test_n, static_cast<int>(k.items.size()));
  }
  const double all_seconds = seconds(all);
  if (all_seconds <= s.budget_seconds) return std::nullopt;
  const auto scaled = [&](int m, const std::string& candidates) {
    CircuitSettings t = all;
    t.candidates = candidates;
    const auto shrink = [&](int n) { return std::max(2, n * m / all.selection_n); };
    t.selection_n = std::max(2, m);
    t.validation_n = shrink(all.validation_n);
    t.test_n = shrink(all.test_n);
    t.null_n = std::min(shrink(all.null_n), t.test_n);
    return t;
  };
  std::string candidates = s.candidates;
  if (candidates == "heads_mlps" && seconds(scaled(2, candidates)) > s.budget_seconds) candidates = "attn_mlps";
  int m = all.selection_n;
  while (m > 2 && seconds(scaled(m, candidates)) > s.budget_seconds) --m;
  const CircuitSettings cut = scaled(m, candidates);
  json out = {{"budget_seconds", s.budget_seconds},
              {"estimated_seconds_all", all_seconds},
              {"estimated_seconds", seconds(cut)},
              {"items_per_kind_all", per_kind(all)},
              {"items_per_kind", per_kind(cut)},
              {"candidates", cut.candidates}};
  s = cut;
  return out;
}

json labels(const Subset& s, const std::vector<CircuitComponent>& candidates) {
  json out = json::array();
  for (size_t c : s) out.push_back(candidates[c].label());
  return out;
}

json effects_json(const ScoredSubset& s, bool recall_target, double penalty) {
  auto n = [](double x) { return std::isfinite(x) ? json(100 * x) : json(nullptr); };
  const double j = s.objective(recall_target, penalty);
  return {{"recall", n(s.recall)}, {"reasoning", n(s.reasoning)}, {"objective", std::isfinite(j) ? json(100 * j) : json(nullptr)}};
}

struct Chosen {
  Subset members;
  json sizes = json::array(), front = json::array();
};

// The best subset of each size, scored on validation; the best of those is the circuit.
Chosen choose_circuit(const SearchOutcome& outcome, CircuitScorer& validation, bool recall_target,
                      const std::vector<CircuitComponent>& candidates, const CircuitFamilies& families,
                      const std::vector<double>& chances, double penalty) {
  Chosen out;
  double best = 0;
  size_t chosen = 0;
  const std::vector<ScoredSubset> per_size = best_per_size(outcome, recall_target, penalty);
  std::vector<ScoredSubset> validated;
  for (size_t i = 0; i < per_size.size(); ++i) {
    validated.push_back(score_subset(validation, per_size[i].members, families, chances));
    const double j = validated.back().objective(recall_target, penalty);
    if (i == 0 || j > best) {
      best = j;
      chosen = i;
    }
  }
  for (size_t i = 0; i < per_size.size(); ++i)
    out.sizes.push_back({{"size", per_size[i].members.size()},
                         {"components", labels(per_size[i].members, candidates)},
                         {"selection", effects_json(per_size[i], recall_target, penalty)},
                         {"validation", effects_json(validated[i], recall_target, penalty)},
                         {"chosen", i == chosen}});
  out.members = per_size[chosen].members;
  for (const ScoredSubset& s : pareto_front(outcome, recall_target))
    out.front.push_back({{"components", labels(s.members, candidates)},
                         {"recall", 100 * s.recall},
                         {"reasoning", 100 * s.reasoning}});
  return out;
}

}  // namespace

json run_circuits(const AnalysisRequest& request) {
  const Suite& suite = request.require_suite("circuits");
  CircuitSettings s = read_settings(request.settings);
  const Model& model = request.session.model();
  const Session& session = request.session;
  const std::optional<json> budget = fit_circuits_to_budget(session, suite, request.seed, s);

  const CircuitItems sets = circuit_items(session, suite, request.seed, s);
  const ItemSet& selection_items = sets.selection;
  const ItemSet& validation_items = sets.validation;
  const ItemSet& test_items = sets.test;
  const ItemSet& null_items = sets.null;
  const CircuitFamilies families = circuit_families(selection_items);
  const std::vector<double> chances = kind_chances(suite, selection_items);

  const std::vector<CircuitComponent> candidates = circuit_candidates(model.config, s.candidates, s.restricted);
  std::vector<int> subject;
  if (s.restricted) {
    subject = common_subject_positions(selection_items, families.recall);
    for (const ItemSet* other : {&validation_items, &test_items})  // the null items are test items
      if (common_subject_positions(*other, families.recall) != subject)
        throw Error("circuits.restricted: the validation or test items' subject positions differ from the selection "
                    "items'");
  }
  const AblationKind ablation = ablation_kind_from_name(s.ablation);
  auto scorer = [&](const ItemSet& items, uint64_t purpose) {
    return CircuitScorer(model, items, candidates, subject, ablation, s.donors, derived_seed(request.seed, purpose),
                         s.reuse_cache);
  };

  // 1. search on the selection items, 2. sizes on the validation items
  request.report(0.0, "selection runs");
  SearchOutcome outcome;
  Chosen chosen[2];
  json singles = json::array();
  {
    CircuitScorer selection = scorer(selection_items, 1);
    outcome = search_circuits(selection, candidates.size(), families, chances, s.search,
                              [&](double f) { request.report(0.6 * f, "searching"); });
    for (size_t c = 0; c < candidates.size(); ++c) {
      const ScoredSubset alone = score_subset(selection, {c}, families, chances);  // scored by every search
      singles.push_back({{"component", component_json(candidates[c], subject, selection_items.n_pos)},
                         {"selection", effects_json(alone, true, s.search.penalty)}});
      singles.back()["selection"].erase("objective");
    }
    request.report(0.6, "validating sizes");
    CircuitScorer validation = scorer(validation_items, 2);
    for (int k = 0; k < 2; ++k)
      chosen[k] = choose_circuit(outcome, validation, k == 0, candidates, families, chances, s.search.penalty);
  }

  // 3. both circuits on the test items
  request.report(0.65, "test runs");
  TestFigures test;
  json test_ids = json::array();
  {
    CircuitScorer tester = scorer(test_items, 3);
    test = test_figures(tester, chosen[0].members, chosen[1].members, families, chances, s.bootstrap_samples,
                        derived_seed(request.seed, 5));
    for (const SweepItem& item : test_items.items) test_ids.push_back(item.item->id);
  }

  // 4. random circuits of the same size and mix
  request.report(0.75, "random circuits");
  NullFigures nulls[2];
  {
    CircuitScorer null_scorer = scorer(null_items, 4);
    for (int k = 0; k < 2; ++k)
      nulls[k] = null_figures(null_scorer, candidates, chosen[k].members, k == 0, s.search.penalty, families, chances,
                              s.random_circuits, derived_seed(request.seed, 6 + static_cast<uint64_t>(k)));
  }
  request.report(1.0, "done");

  const size_t sizes[2] = {chosen[0].members.size(), chosen[1].members.size()};
  const Verdict verdict = circuits_verdict(test, nulls, sizes);
  json circuits = json::object();
  const char* names[2] = {"recall", "reasoning"};
  for (int k = 0; k < 2; ++k) {
    json components = json::array();
    for (size_t c : chosen[k].members) components.push_back(component_json(candidates[c], subject, test_items.n_pos));
    circuits[names[k]] = {{"components", components},
                          {"test", {{"recall", test.circuit[k].recall.to_json()},
                                    {"reasoning", test.circuit[k].reasoning.to_json()}}},
                          {"null", nulls[k].to_json(candidates)},
                          {"sizes", chosen[k].sizes},
                          {"front", chosen[k].front}};
  }
  json chance = json::object();
  for (size_t k = 0; k < selection_items.kinds.size(); ++k) chance[selection_items.kinds[k].name] = chances[k];
  char objective[96];
  std::snprintf(objective, sizeof objective, "effect(target) - %g * |effect(other)|, 1 <= size <= %d", s.search.penalty,
                s.search.max_size);
  json result = {{"settings", s.echo_all()},
          {"method", {{"ablation", s.ablation},
                      {"donors", ablation == AblationKind::Resample ? json(s.donors) : json(nullptr)},
                      {"search", outcome.exhaustive ? "exhaustive" : "greedy"},
                      {"exhaustive_forward_passes", outcome.exhaustive_runs},
                      {"objective", objective},
                      {"max_size", s.search.max_size},
                      {"collateral_penalty", s.search.penalty}}},
          {"items", {{"selection", items_json(selection_items)},
                     {"validation", items_json(validation_items)},
                     {"test", items_json(test_items)},
                     {"null", items_json(null_items)}}},
          {"chance", chance},
          {"candidates", singles},
          {"circuits", circuits},
          {"test_items", test_ids},
          {"contrast", {{"value", std::isfinite(test.contrast) ? json(test.contrast) : json(nullptr)},
                        {"ci", {std::isfinite(test.contrast_ci.lower) ? json(test.contrast_ci.lower) : json(nullptr),
                                std::isfinite(test.contrast_ci.upper) ? json(test.contrast_ci.upper) : json(nullptr)}}}},
          {"separated", verdict.separated},
          {"statement", verdict.statement}};
  if (budget) result["budget"] = *budget;
  return result;
}

}  // namespace strata
