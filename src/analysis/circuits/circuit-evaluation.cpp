// Test figures with intervals, random-circuit nulls, and the verdict in words.
#include "analysis/circuits/circuit-evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/seeded-random.h"

namespace strata {

using nlohmann::json;

namespace {

constexpr double kConfidence = 0.95;
constexpr double kTargetLower = 30;     // points: the target effect's lower bound must reach this
constexpr double kCollateralUpper = 5;  // points: the other family's upper bound may not exceed this
constexpr double kNullPercentile = 95;  // the circuit must beat this share of its random circuits

json number(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }
json interval(const Interval& i) { return {number(i.lower), number(i.upper)}; }

std::string points(double x) {
  if (!std::isfinite(x)) return "undefined";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x + 0.0);
  return buf;
}

// A tally of the items of `which` (indices into `members`) for one circuit.
FamilyTally tally_of(const std::vector<size_t>& members, const std::vector<size_t>& which, const ItemScores& intact,
                     const ItemScores& ablated, const std::vector<double>& item_chance) {
  FamilyTally t;
  for (size_t w : which) t.add(members[w], intact, ablated, item_chance[members[w]]);
  return t;
}

}  // namespace

json FamilyFigures::to_json() const {
  return {{"n", n},
          {"effect", number(effect)},
          {"effect_ci", interval(effect_ci)},
          {"drop", number(drop)},
          {"ci", interval(drop_ci)},
          {"accuracy", {{"intact", accuracy_intact}, {"ablated", accuracy_ablated}, {"chance", chance}}}};
}

TestFigures test_figures(CircuitScorer& test, const Subset& recall_circuit, const Subset& reasoning_circuit,
                         const CircuitFamilies& families, const std::vector<double>& chances, int resamples,
                         uint64_t seed) {
  const ItemSet& items = test.items();
  const std::vector<size_t> strata[2] = {items.family_items(families.recall), items.family_items(families.reasoning)};
  std::vector<double> item_chance;
  for (const SweepItem& item : items.items) item_chance.push_back(chances[static_cast<size_t>(item.kind)]);
  const ItemScores& intact = test.intact();
  const ItemScores* ablated[2] = {&test.ablated(recall_circuit), &test.ablated(reasoning_circuit)};

  std::vector<size_t> all[2];
  for (int f = 0; f < 2; ++f)
    for (size_t i = 0; i < strata[f].size(); ++i) all[f].push_back(i);
  // statistic index: circuit c, family f, 0 effect / 1 drop → 4c + 2f + m; 8 is the contrast
  auto figure = [&](const std::vector<std::vector<size_t>>& draw, int c, int f, int m) {
    const FamilyTally t = tally_of(strata[f], draw[static_cast<size_t>(f)], intact, *ablated[c], item_chance);
    return 100.0 * (m == 0 ? t.effect() : t.drop());
  };
  auto contrast = [&](const std::vector<std::vector<size_t>>& draw) {
    return (figure(draw, 0, 0, 0) - figure(draw, 0, 1, 0)) - (figure(draw, 1, 0, 0) - figure(draw, 1, 1, 0));
  };
  std::vector<StratifiedStatistic> statistics;
  for (int c = 0; c < 2; ++c)
    for (int f = 0; f < 2; ++f)
      for (int m = 0; m < 2; ++m)
        statistics.push_back([=](const std::vector<std::vector<size_t>>& draw) { return figure(draw, c, f, m); });
  statistics.push_back(contrast);
  const std::vector<Interval> ci =
      stratified_bootstrap({strata[0].size(), strata[1].size()}, resamples, kConfidence, seed, statistics);

  const std::vector<std::vector<size_t>> whole = {all[0], all[1]};
  TestFigures out;
  for (int c = 0; c < 2; ++c)
    for (int f = 0; f < 2; ++f) {
      FamilyFigures& fig = f == 0 ? out.circuit[c].recall : out.circuit[c].reasoning;
      const FamilyTally t = tally_of(strata[f], all[f], intact, *ablated[c], item_chance);
      fig.n = t.n;
      fig.effect = figure(whole, c, f, 0);
      fig.drop = figure(whole, c, f, 1);
      fig.effect_ci = ci[static_cast<size_t>(4 * c + 2 * f)];
      fig.drop_ci = ci[static_cast<size_t>(4 * c + 2 * f + 1)];
      fig.accuracy_intact = t.correct_intact / static_cast<double>(t.n);
      fig.accuracy_ablated = t.correct_ablated / static_cast<double>(t.n);
      fig.chance = t.chance / static_cast<double>(t.n);
      bool changed = false;
      for (size_t i : strata[f]) changed = changed || intact.correct[i] != ablated[c]->correct[i];
      if (!changed && std::isfinite(fig.drop)) {  // nothing to resample: the exact bound
        const double share = 1.0 - std::pow((1.0 - kConfidence) / 2, 1.0 / static_cast<double>(t.n));
        fig.drop_ci = {0.0, 100.0 * share / (fig.accuracy_intact - fig.chance)};
      }
    }
  out.contrast = contrast(whole);
  out.contrast_ci = ci[8];
  return out;
}

// --- nulls -----------------------------------------------------------------------

NullFigures null_figures(CircuitScorer& null_items, const std::vector<CircuitComponent>& candidates,
                         const Subset& circuit, bool recall_target, double penalty, const CircuitFamilies& families,
                         const std::vector<double>& chances, int draws, uint64_t seed) {
  // The circuit's mix: how many components of each class, and each class's candidates.
  std::vector<std::vector<size_t>> pools(9);
  std::vector<size_t> wanted(9, 0);
  for (size_t c = 0; c < candidates.size(); ++c) pools[static_cast<size_t>(candidates[c].mix_class())].push_back(c);
  for (size_t c : circuit) ++wanted[static_cast<size_t>(candidates[c].mix_class())];
  double space = 1;  // circuits of this mix, the found one included
  for (size_t k = 0; k < pools.size(); ++k)
    for (size_t i = 0; i < wanted[k]; ++i)
      space = space * static_cast<double>(pools[k].size() - i) / static_cast<double>(i + 1);

  NullFigures out;
  out.statistic = score_subset(null_items, circuit, families, chances).objective(recall_target, penalty);
  if (space <= 1) {
    out.percentile = std::nan("");
    return out;
  }
  SeededRandom rng(seed);
  double beaten = 0;
  std::vector<Subset> seen;
  for (int d = 0; d < draws; ++d) {
    Subset draw;
    do {
      draw.clear();
      for (size_t k = 0; k < pools.size(); ++k) {
        std::vector<size_t> pool = pools[k];
        for (size_t i = 0; i < wanted[k]; ++i) {  // partial Fisher–Yates
          std::swap(pool[i], pool[i + static_cast<size_t>(rng.index(pool.size() - i))]);
          draw.push_back(pool[i]);
        }
      }
      std::sort(draw.begin(), draw.end());
    } while (draw == circuit);
    const ScoredSubset scored = score_subset(null_items, draw, families, chances);
    const double j = scored.objective(recall_target, penalty);
    beaten += j < out.statistic ? 1.0 : j == out.statistic ? 0.5 : 0.0;
    if (std::find(seen.begin(), seen.end(), draw) == seen.end()) {
      seen.push_back(draw);
      out.distinct.push_back(scored);
    }
  }
  out.n = static_cast<size_t>(draws);
  out.percentile = 100.0 * beaten / static_cast<double>(draws);
  return out;
}

json NullFigures::to_json(const std::vector<CircuitComponent>& candidates) const {
  json circuits = json::array();
  for (const ScoredSubset& s : distinct) {
    json labels = json::array();
    for (size_t c : s.members) labels.push_back(candidates[c].label());
    circuits.push_back({{"components", labels}, {"recall", number(100 * s.recall)}, {"reasoning", number(100 * s.reasoning)}});
  }
  return {{"n", n}, {"percentile", number(percentile)}, {"objective", number(100 * statistic)}, {"circuits", circuits}};
}

// --- verdict ---------------------------------------------------------------------

Verdict circuits_verdict(const TestFigures& test, const NullFigures nulls[2], const size_t sizes[2]) {
  const char* names[2] = {"recall", "reasoning"};
  std::vector<std::string> failures, passes;
  for (int c = 0; c < 2; ++c) {
    const FamilyFigures& target = c == 0 ? test.circuit[c].recall : test.circuit[c].reasoning;
    const FamilyFigures& other = c == 0 ? test.circuit[c].reasoning : test.circuit[c].recall;
    const std::string who = std::string("the ") + names[c] + " circuit (" + std::to_string(sizes[c]) + " component" +
                            (sizes[c] == 1 ? "" : "s") + ")";
    const double lower = target.effect_ci.lower, upper = other.effect_ci.upper;
    const std::string target_text = who + ": " + names[c] + " effect " + points(target.effect) + " points [" +
                                    points(lower) + ", " + points(target.effect_ci.upper) + "]";
    const std::string other_text = who + ": " + names[1 - c] + " effect " + points(other.effect) + " points [" +
                                   points(other.effect_ci.lower) + ", " + points(upper) + "]";
    if (std::isfinite(lower) && lower >= kTargetLower) passes.push_back(target_text);
    else failures.push_back(target_text + ", lower bound under " + points(kTargetLower));
    if (std::isfinite(upper) && upper <= kCollateralUpper) passes.push_back(other_text);
    else failures.push_back(other_text + ", upper bound over " + points(kCollateralUpper));
    const NullFigures& null = nulls[c];
    if (null.n == 0)
      failures.push_back(who + " has no random circuit of its size and mix to be compared with");
    else {
      const std::string text = who + " beats " + points(null.percentile) + "% of its " + std::to_string(null.n) +
                               " random circuits";
      if (null.percentile >= kNullPercentile) passes.push_back(text);
      else failures.push_back(text + ", under " + points(kNullPercentile) + "%");
    }
  }
  const std::string contrast_text = "the contrast is " + points(test.contrast) + " points [" +
                                    points(test.contrast_ci.lower) + ", " + points(test.contrast_ci.upper) + "]";
  if (std::isfinite(test.contrast_ci.lower) && test.contrast_ci.lower > 0) passes.push_back(contrast_text);
  else failures.push_back(contrast_text + ", its interval not above 0");

  auto join = [](const std::vector<std::string>& parts) {
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? "; " : "") + parts[i];
    return s;
  };
  Verdict v;
  v.separated = failures.empty();
  v.statement = v.separated ? "Separated on the test items: " + join(passes) + "."
                            : "Not separated on the test items: " + join(failures) + ".";
  v.statement += " (Separated needs, for both circuits, the target effect's lower 95% bound at least 30 points, the "
                 "other family's upper bound at most 5, at least 95% of random circuits beaten, and the contrast's "
                 "interval above 0.)";
  return v;
}

}  // namespace strata
