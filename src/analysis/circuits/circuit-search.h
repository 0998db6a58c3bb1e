// The search for a circuit on the selection items, the Pareto front it
// leaves, and the choice of size on the validation items.
//
// Objective, for a target family T and the other family O (effects as in
// circuit-scoring.h, on the items at hand):
//   J(S) = effect_T(S) − penalty × |effect_O(S)|,   1 ≤ |S| ≤ max_size
// (a circuit that helps the other family changes it too: the collateral
// counts either way, so that components cannot buy objective by helping it)
// Search (both targets share every evaluated subset):
//   exhaustive  every subset of the candidates up to max_size, when
//               subsets × (forward passes per subset) ≤ budget;
//   greedy      otherwise, per target: S = {}; for each size, every candidate
//               not in S is re-scored as S ∪ {c} and the best J is kept (ties:
//               the lowest candidate index).
// Per target and size s, the size's best is the evaluated subset of size s
// with the highest J; the front is every evaluated subset that no other
// evaluated subset dominates (higher or equal effect_T, lower or equal
// |effect_O|, no larger size, one of them strictly).
#pragma once

#include <functional>
#include <vector>

#include "analysis/circuits/circuit-scoring.h"

namespace strata {

struct CircuitFamilies {
  int recall = -1, reasoning = -1;  // indices into ItemSet::families
};
CircuitFamilies circuit_families(const ItemSet& items);  // throws when either family is missing

// Per-family tallies of one ablated subset on a scorer's items.
FamilyTally family_tally(const ItemSet& items, const ItemScores& intact, const ItemScores& ablated, int family,
                         const std::vector<double>& chances);

struct ScoredSubset {
  Subset members;
  double recall = 0, reasoning = 0;  // effects (fractions)
  double objective(bool recall_target, double penalty) const;  // −∞ when an effect is undefined
};

ScoredSubset score_subset(CircuitScorer& scorer, const Subset& members, const CircuitFamilies& families,
                          const std::vector<double>& chances);

struct SearchSettings {
  int max_size = 4;
  double penalty = 2;
  double budget = 50000;  // forward passes
};

struct SearchOutcome {
  bool exhaustive = false;
  double exhaustive_runs = 0;       // what the exhaustive search would cost
  std::vector<ScoredSubset> evaluated;  // every subset scored, in search order
};

// Number of subsets of n candidates with 1..k members.
double subset_count(size_t n, int k);

SearchOutcome search_circuits(CircuitScorer& selection, size_t n_candidates, const CircuitFamilies& families,
                              const std::vector<double>& chances, const SearchSettings& settings,
                              const std::function<void(double)>& progress);

// The best evaluated subset of each size 1..max_size (fewer when none of a size was evaluated).
std::vector<ScoredSubset> best_per_size(const SearchOutcome& outcome, bool recall_target, double penalty);
// The non-dominated evaluated subsets, by size then falling target effect.
std::vector<ScoredSubset> pareto_front(const SearchOutcome& outcome, bool recall_target);

}  // namespace strata
