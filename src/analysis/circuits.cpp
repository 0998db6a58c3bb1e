// Selecting the recall and reasoning circuits, ablating them whole, and the
// separation verdict.
#include "analysis/circuits.h"

#include <algorithm>
#include <cstdio>

#include "analysis/ablation.h"
#include "analysis/bootstrap.h"
#include "analysis/seeded-random.h"
#include "base/error.h"

namespace strata {

using nlohmann::json;

namespace {

constexpr double kSeparationDrop = 0.30;   // the target family must drop at least this much
constexpr double kSeparationSpare = 0.05;  // the other family may drop at most this much
constexpr double kConfidence = 0.95;

const char* kRule =
    "Candidates are scored alone by drop in the target family minus drop in the other family on the selection "
    "items; visited from the highest score, a candidate joins the circuit when the other family's drop with it "
    "stays within max_other_drop and the target family's drop grows; the search stops once the target drop "
    "reaches target_drop or the candidates run out.";

std::string points(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", fraction * 100.0 + 0.0);
  return buf;
}

struct Families {
  int recall = -1, reasoning = -1;  // indices into ItemSet::families
};

Families find_families(const ItemSet& items) {
  Families f;
  for (size_t i = 0; i < items.families.size(); ++i) {
    if (items.families[i] == "recall") f.recall = static_cast<int>(i);
    if (items.families[i] == "reasoning") f.reasoning = static_cast<int>(i);
  }
  if (f.recall < 0 || f.reasoning < 0)
    throw Error("circuits.kinds: needs recall and reasoning kinds; the selected kinds' families are " +
                json(items.families).dump());
  return f;
}

struct CircuitSearch {
  std::vector<AblationTarget> members;
  json steps = json::array();
  double target_drop = 0, other_drop = 0;
};

// The greedy rule of circuits.h for one target family.
CircuitSearch search_circuit(const Ablator& ablator, const ItemSet& items, const Accuracy& baseline,
                             const std::vector<AblationTarget>& candidates, const std::vector<Accuracy>& single_drops,
                             int target, int other, double target_drop, double max_other_drop) {
  std::vector<size_t> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto score = [&](size_t c) { return single_drops[c].by_family[target] - single_drops[c].by_family[other]; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score(a) > score(b); });

  CircuitSearch s;
  for (size_t c : order) {
    if (s.target_drop >= target_drop) break;
    std::vector<AblationTarget> trial = s.members;
    trial.push_back(candidates[c]);
    const Accuracy drop = accuracy_drop(baseline, accuracy_of(items, ablator.correct_with(trial)));
    const bool keep = drop.by_family[other] <= max_other_drop && drop.by_family[target] > s.target_drop;
    s.steps.push_back({{"label", candidates[c].label()},
                       {"kept", keep},
                       {"target_drop", drop.by_family[target]},
                       {"other_drop", drop.by_family[other]}});
    if (keep) {
      s.members = std::move(trial);
      s.target_drop = drop.by_family[target];
      s.other_drop = drop.by_family[other];
    }
  }
  return s;
}

struct FamilyEvaluation {
  double baseline = 0, ablated = 0;
  json to_json;
};

// Accuracy of one family's items with and without the circuit, with intervals.
FamilyEvaluation evaluate_family(const ItemSet& items, int family, const std::vector<uint8_t>& baseline,
                                 const std::vector<uint8_t>& ablated, int resamples, uint64_t seed) {
  const std::vector<size_t> members = items.family_items(family);
  auto mean_of = [&](const std::vector<uint8_t>& correct) {
    return [&, correct_ptr = &correct](const std::vector<size_t>& indices) {
      double s = 0;
      for (size_t i : indices) s += (*correct_ptr)[members[i]];
      return s / static_cast<double>(indices.size());
    };
  };
  const ResampleStatistic base = mean_of(baseline), abl = mean_of(ablated);
  const ResampleStatistic drop = [&](const std::vector<size_t>& indices) { return base(indices) - abl(indices); };
  const std::vector<Interval> ci = percentile_bootstrap(members.size(), resamples, kConfidence, seed, {base, abl, drop});
  std::vector<size_t> all(members.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  FamilyEvaluation e;
  e.baseline = base(all);
  e.ablated = abl(all);
  auto entry = [](double value, const Interval& i) { return json{{"accuracy", value}, {"ci", {i.lower, i.upper}}}; };
  json drop_json = {{"value", e.baseline - e.ablated}, {"ci", {ci[2].lower, ci[2].upper}}};
  e.to_json = {{"n", members.size()}, {"baseline", entry(e.baseline, ci[0])}, {"ablated", entry(e.ablated, ci[1])},
               {"drop", drop_json}};
  return e;
}

// One half of the verdict: does `circuit` drop its family enough and the other little enough?
bool half_holds(const std::string& name, const std::string& other_name, size_t size, double target_drop,
                double other_drop, std::string& sentence) {
  const bool enough = target_drop >= kSeparationDrop, spared = other_drop <= kSeparationSpare;
  sentence = "The " + name + " circuit (" + std::to_string(size) + " component" + (size == 1 ? "" : "s") + ") drops " +
             name + " by " + points(target_drop) + " points";
  sentence += enough ? "" : " (needs at least " + points(kSeparationDrop) + ", short by " +
                                points(kSeparationDrop - target_drop) + ")";
  sentence += " and " + other_name + " by " + points(other_drop) + " points";
  sentence += spared ? "" : " (allowed at most " + points(kSeparationSpare) + ", over by " +
                                points(other_drop - kSeparationSpare) + ")";
  sentence += enough && spared ? ": it separates." : ": it fails.";
  return enough && spared;
}

}  // namespace

json run_circuits(const AnalysisRequest& request) {
  const Suite& suite = request.require_suite("circuits");
  SweepSettings settings(request.settings, "circuits", {"kinds"});
  SweepSelection selection = read_sweep_selection(settings);
  const int eval_items = settings.scalars().get_int("eval_items_per_kind", 64, 1, 100000);
  const std::string method = settings.scalars().get_choice("method", "mean", {"zero", "mean", "resample"});
  const std::string candidate_set = settings.scalars().get_choice("candidates", "heads_mlps", {"heads_mlps", "attn_mlps"});
  const double target_drop = settings.scalars().get_double("target_drop", 0.30, 0.0, 1.0);
  const double max_other_drop = settings.scalars().get_double("max_other_drop", 0.05, 0.0, 1.0);
  const int resamples = settings.scalars().get_int("bootstrap_samples", 2000, 100, 100000);
  const bool reuse_cache = settings.scalars().get_bool("reuse_cache", true);
  settings.finish();

  const Model& model = request.session.model();
  const ItemSet chosen_on = select_items(request.session, suite, selection, "circuits");
  SweepSelection evaluation_selection = selection;
  evaluation_selection.offset = selection.items_per_kind;
  evaluation_selection.items_per_kind = eval_items;
  const ItemSet judged_on = select_items(request.session, suite, evaluation_selection, "circuits");
  const Families fam = find_families(chosen_on);
  const Families eval_fam = find_families(judged_on);

  const std::vector<AblationTarget> candidates = ablation_targets(
      model.config, candidate_set == "heads_mlps" ? std::vector<AblationLevel>{AblationLevel::Mlp, AblationLevel::Head}
                                                  : std::vector<AblationLevel>{AblationLevel::Attn, AblationLevel::Mlp});
  const AblationMethod how = ablation_method_from_name(method);

  // 1. every candidate alone, on the selection items
  request.report(0.0, "selection runs");
  const Ablator selector(model, chosen_on, how, candidates, derived_seed(request.seed, 1), reuse_cache);
  const Accuracy baseline = accuracy_of(chosen_on, selector.baseline());
  std::vector<Accuracy> single_drops;
  json candidates_json = json::array();
  for (size_t c = 0; c < candidates.size(); ++c) {
    request.report(0.5 * static_cast<double>(c) / static_cast<double>(candidates.size()),
                   "ranking " + candidates[c].label());
    single_drops.push_back(accuracy_drop(baseline, accuracy_of(chosen_on, selector.correct_with({candidates[c]}))));
    json j = candidates[c].to_json();
    j["drop"] = {{"recall", single_drops.back().by_family[fam.recall]},
                 {"reasoning", single_drops.back().by_family[fam.reasoning]}};
    candidates_json.push_back(std::move(j));
  }

  // 2. the greedy search, for each family
  request.report(0.5, "choosing the recall circuit");
  const CircuitSearch recall = search_circuit(selector, chosen_on, baseline, candidates, single_drops, fam.recall,
                                              fam.reasoning, target_drop, max_other_drop);
  request.report(0.7, "choosing the reasoning circuit");
  const CircuitSearch reasoning = search_circuit(selector, chosen_on, baseline, candidates, single_drops,
                                                 fam.reasoning, fam.recall, target_drop, max_other_drop);

  // 3. each circuit whole, on the evaluation items
  request.report(0.9, "evaluating the circuits");
  const Ablator judge(model, judged_on, how, candidates, derived_seed(request.seed, 5), reuse_cache,
                      how == AblationMethod::Mean ? &selector : nullptr);
  json circuits = json::object();
  std::string statements[2];
  bool holds[2];
  const CircuitSearch* searches[2] = {&recall, &reasoning};
  const char* names[2] = {"recall", "reasoning"};
  for (int k = 0; k < 2; ++k) {
    const CircuitSearch& s = *searches[k];
    const std::vector<uint8_t> ablated = judge.correct_with(s.members);
    const FamilyEvaluation r = evaluate_family(judged_on, eval_fam.recall, judge.baseline(), ablated, resamples,
                                               derived_seed(request.seed, 3));
    const FamilyEvaluation q = evaluate_family(judged_on, eval_fam.reasoning, judge.baseline(), ablated, resamples,
                                               derived_seed(request.seed, 4));
    json members = json::array();
    for (const AblationTarget& t : s.members) members.push_back(t.label());
    circuits[names[k]] = {{"components", members},
                          {"steps", s.steps},
                          {"selection", {{"target_drop", s.target_drop}, {"other_drop", s.other_drop}}},
                          {"evaluation", {{"recall", r.to_json}, {"reasoning", q.to_json}}}};
    const FamilyEvaluation& target = k == 0 ? r : q;
    const FamilyEvaluation& other = k == 0 ? q : r;
    holds[k] = half_holds(names[k], names[1 - k], s.members.size(), target.baseline - target.ablated,
                          other.baseline - other.ablated, statements[k]);
  }
  request.report(1.0, "done");

  const bool separated = holds[0] && holds[1];
  const std::string statement = std::string(separated ? "Separated. " : "Not separated. ") + statements[0] + " " +
                                statements[1] + " (Thresholds: at least 30 points on the target family, at most 5 on "
                                "the other, on the evaluation items.)";
  json echo = to_json(selection);
  echo["eval_items_per_kind"] = eval_items;
  echo["method"] = method;
  echo["candidates"] = candidate_set;
  echo["target_drop"] = target_drop;
  echo["max_other_drop"] = max_other_drop;
  echo["bootstrap_samples"] = resamples;
  echo["reuse_cache"] = reuse_cache;
  return {{"settings", echo},
          {"rule", kRule},
          {"selection_items", items_json(chosen_on)},
          {"evaluation_items", items_json(judged_on)},
          {"selection_baseline", accuracy_json(chosen_on, baseline)},
          {"candidates", candidates_json},
          {"circuits", circuits},
          {"separation", {{"holds", separated}, {"statement", statement}}}};
}

}  // namespace strata
