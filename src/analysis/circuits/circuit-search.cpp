// Exhaustive or greedy subset search, sizes' bests and the Pareto front.
#include "analysis/circuits/circuit-search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"

namespace strata {

CircuitFamilies circuit_families(const ItemSet& items) {
  CircuitFamilies f;
  for (size_t i = 0; i < items.families.size(); ++i) {
    if (items.families[i] == "recall") f.recall = static_cast<int>(i);
    if (items.families[i] == "reasoning") f.reasoning = static_cast<int>(i);
  }
  if (f.recall < 0 || f.reasoning < 0)
    throw Error("circuits.kinds: needs recall and reasoning kinds; the selected kinds' families are " +
                nlohmann::json(items.families).dump());
  return f;
}

FamilyTally family_tally(const ItemSet& items, const ItemScores& intact, const ItemScores& ablated, int family,
                         const std::vector<double>& chances) {
  FamilyTally t;
  for (size_t i : items.family_items(family))
    t.add(i, intact, ablated, chances[static_cast<size_t>(items.items[i].kind)]);
  return t;
}

double ScoredSubset::objective(bool recall_target, double penalty) const {
  const double target = recall_target ? recall : reasoning, other = recall_target ? reasoning : recall;
  const double j = target - penalty * std::abs(other);
  return std::isnan(j) ? -std::numeric_limits<double>::infinity() : j;
}

ScoredSubset score_subset(CircuitScorer& scorer, const Subset& members, const CircuitFamilies& families,
                          const std::vector<double>& chances) {
  const ItemScores& ablated = scorer.ablated(members);
  ScoredSubset s;
  s.members = members;
  s.recall = family_tally(scorer.items(), scorer.intact(), ablated, families.recall, chances).effect();
  s.reasoning = family_tally(scorer.items(), scorer.intact(), ablated, families.reasoning, chances).effect();
  return s;
}

double subset_count(size_t n, int k) {
  double total = 0, c = 1;
  for (int s = 1; s <= k && static_cast<size_t>(s) <= n; ++s) {
    c = c * static_cast<double>(n - static_cast<size_t>(s) + 1) / s;  // C(n, s)
    total += c;
  }
  return total;
}

namespace {

// Every subset of 0..n−1 of size s, in lexicographic order.
void for_each_combination(size_t n, int s, const std::function<void(const Subset&)>& visit) {
  Subset c(static_cast<size_t>(s));
  for (size_t i = 0; i < c.size(); ++i) c[i] = i;
  while (true) {
    visit(c);
    int i = s - 1;
    while (i >= 0 && c[static_cast<size_t>(i)] == n - static_cast<size_t>(s) + static_cast<size_t>(i)) --i;
    if (i < 0) return;
    ++c[static_cast<size_t>(i)];
    for (size_t j = static_cast<size_t>(i) + 1; j < c.size(); ++j) c[j] = c[j - 1] + 1;
  }
}

}  // namespace

SearchOutcome search_circuits(CircuitScorer& selection, size_t n_candidates, const CircuitFamilies& families,
                              const std::vector<double>& chances, const SearchSettings& settings,
                              const std::function<void(double)>& progress) {
  SearchOutcome out;
  const int max_size = std::min(settings.max_size, static_cast<int>(n_candidates));
  const double subsets = subset_count(n_candidates, max_size);
  out.exhaustive_runs = subsets * static_cast<double>(selection.runs_per_subset());
  out.exhaustive = out.exhaustive_runs <= settings.budget;
  if (out.exhaustive) {
    double done = 0;
    for (int s = 1; s <= max_size; ++s)
      for_each_combination(n_candidates, s, [&](const Subset& members) {
        out.evaluated.push_back(score_subset(selection, members, families, chances));
        progress(++done / subsets);
      });
    return out;
  }
  std::vector<Subset> seen;  // the greedy paths share subsets; each is listed once
  for (const bool recall_target : {true, false}) {
    Subset path;
    for (int s = 1; s <= max_size; ++s) {
      progress((recall_target ? 0.0 : 0.5) + 0.5 * (s - 1) / max_size);
      ScoredSubset best;
      double best_j = -std::numeric_limits<double>::infinity();
      bool any = false;
      for (size_t c = 0; c < n_candidates; ++c) {
        if (std::count(path.begin(), path.end(), c)) continue;
        Subset trial = path;
        trial.insert(std::upper_bound(trial.begin(), trial.end(), c), c);
        const ScoredSubset scored = score_subset(selection, trial, families, chances);
        if (std::find(seen.begin(), seen.end(), trial) == seen.end()) {
          seen.push_back(trial);
          out.evaluated.push_back(scored);
        }
        const double j = scored.objective(recall_target, settings.penalty);
        if (!any || j > best_j) {
          best = scored;
          best_j = j;
          any = true;
        }
      }
      path = best.members;
    }
  }
  return out;
}

std::vector<ScoredSubset> best_per_size(const SearchOutcome& outcome, bool recall_target, double penalty) {
  std::vector<ScoredSubset> best;
  std::vector<bool> found;
  for (const ScoredSubset& s : outcome.evaluated) {
    const size_t size = s.members.size();
    if (best.size() < size) {
      best.resize(size);
      found.resize(size, false);
    }
    if (!found[size - 1] || s.objective(recall_target, penalty) > best[size - 1].objective(recall_target, penalty)) {
      best[size - 1] = s;
      found[size - 1] = true;
    }
  }
  std::vector<ScoredSubset> out;
  for (size_t i = 0; i < best.size(); ++i)
    if (found[i]) out.push_back(best[i]);
  return out;
}

std::vector<ScoredSubset> pareto_front(const SearchOutcome& outcome, bool recall_target) {
  auto target = [&](const ScoredSubset& s) { return recall_target ? s.recall : s.reasoning; };
  auto other = [&](const ScoredSubset& s) { return std::abs(recall_target ? s.reasoning : s.recall); };
  std::vector<ScoredSubset> front;
  for (const ScoredSubset& a : outcome.evaluated) {
    if (std::isnan(target(a)) || std::isnan(other(a))) continue;
    bool dominated = false;
    for (const ScoredSubset& b : outcome.evaluated) {
      if (&a == &b || std::isnan(target(b)) || std::isnan(other(b))) continue;
      const bool no_worse = target(b) >= target(a) && other(b) <= other(a) && b.members.size() <= a.members.size();
      const bool better = target(b) > target(a) || other(b) < other(a) || b.members.size() < a.members.size();
      if (no_worse && better) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push_back(a);
  }
  std::stable_sort(front.begin(), front.end(), [&](const ScoredSubset& a, const ScoredSubset& b) {
    if (a.members.size() != b.members.size()) return a.members.size() < b.members.size();
    return target(a) > target(b);
  });
  return front;
}

}  // namespace strata
