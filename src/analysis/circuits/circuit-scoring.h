// What a circuit is made of, and what ablating one does to an item set.
//
// A component is one unit that an ablation overwrites:
//   head   blocks.{l}.attn.hook_z, one head (before W_O)
//   mlp    blocks.{l}.hook_mlp_out
//   attn   blocks.{l}.attn.hook_z, every head (the attention block; as in
//          ablation.h, its output bias b_O stays)
// at every position, or restricted: an MLP at the subject's positions (the
// recall items' meta.subject_positions, which must be one list for all of
// them, applied to every item of either family) or a head at the last position.
//
// Ablation, applied to every component of a circuit together:
//   resample  the component's value in the clean run of another item of the
//             same kind; each item gets `donors` distinct donors (a seeded
//             draw, fixed for every circuit so that circuits stay paired) and
//             its logit difference and correctness are averaged over them
//   mean      the mean over the set's items of the same kind, per position
//   zero      0
// Each ablated run resumes from the item's clean residual stream below the
// earliest component's block (reuse_cache; false recomputes from the
// embedding and gives the same numbers).
//
// Per item: LD = logit(answer) − logit(corrupt_answer) at the last position
// (the foil is the corrupt prompt's answer); correct = argmax is the answer.
// Per family F of an ablated circuit (items pooled over F's kinds):
//   effect(F) = 1 − Σ LD_ablated / Σ LD_intact     (0: intact; 1: answer and foil tied)
//   drop(F)   = (acc_intact − acc_ablated) / (acc_intact − chance(F))
//               (0: intact; 1: at chance), chance(F) the item-weighted mean of
//               the kinds' chance, 1 / (distinct answers of the kind in the suite)
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/sweeps/sweep.h"

namespace strata {

enum class ComponentKind { Head, Mlp, Attn };
enum class ComponentPositions { All, Subject, Last };

struct CircuitComponent {
  ComponentKind kind = ComponentKind::Mlp;
  int layer = 0;
  int head = -1;  // Head only
  ComponentPositions where = ComponentPositions::All;

  HookId hook() const;
  std::string label() const;  // "L1H2", "L0 mlp", "L2 attn", "L0 mlp @subject", "L3H1 @last"
  // The "mix" a random circuit must match: kind and position restriction.
  int mix_class() const { return static_cast<int>(kind) * 3 + static_cast<int>(where); }
};

// The candidates: heads and MLPs ("heads_mlps") or attention blocks and MLPs
// ("attn_mlps"), layer-major with the MLP last in each layer; then, when
// `restricted`, each MLP at the subject positions and each head at the last position.
std::vector<CircuitComponent> circuit_candidates(const ModelConfig& config, const std::string& set, bool restricted);

// The subject positions shared by every recall item of `items`; throws naming
// the first item whose meta.subject_positions is missing or differs.
std::vector<int> common_subject_positions(const ItemSet& items, int recall_family);

// {"label", "hook", "head"?, "positions"?}: the vocabulary of `strata run --intervene`.
nlohmann::json component_json(const CircuitComponent& c, const std::vector<int>& subject_positions, int64_t n_pos);

enum class AblationKind { Resample, Mean, Zero };
AblationKind ablation_kind_from_name(const std::string& name);

// Per-item outcome of one run configuration (intact or one circuit ablated).
struct ItemScores {
  std::vector<double> ld;       // logit difference, averaged over donors
  std::vector<double> correct;  // share of donor runs whose argmax is the answer
};

// A circuit: indices into the candidate list, ascending.
using Subset = std::vector<size_t>;

class CircuitScorer {
 public:
  CircuitScorer(const Model& model, const ItemSet& items, const std::vector<CircuitComponent>& candidates,
                const std::vector<int>& subject_positions, AblationKind ablation, int donors, uint64_t seed,
                bool reuse_cache);

  const ItemSet& items() const { return items_; }
  const ItemScores& intact() const { return intact_; }
  // Remembered: asking twice for one subset runs it once.
  const ItemScores& ablated(const Subset& subset);
  // Forward passes one ablated subset costs on this set.
  size_t runs_per_subset() const { return items_.items.size() * donors_.front().size(); }

 private:
  std::vector<Intervention> interventions(const Subset& subset, size_t item, size_t donor) const;
  const Tensor& kept(size_t item, HookId hook) const;

  const Model& model_;
  const ItemSet& items_;
  const std::vector<CircuitComponent>& candidates_;
  std::vector<int> subject_positions_;
  AblationKind ablation_;
  bool reuse_cache_;
  std::vector<int> slot_;                         // hook_index → slot in the stores, -1 if not kept
  std::vector<Boundaries> boundaries_;            // per item, when reuse_cache
  std::vector<std::vector<Tensor>> activations_;  // [item][slot], resample
  std::vector<std::vector<Tensor>> means_;        // [kind][slot], mean
  std::vector<std::vector<size_t>> donors_;       // [item] → donor items (one empty entry: no donor)
  ItemScores intact_;
  std::map<Subset, ItemScores> memo_;
};

// Per-family sums of a set of items, for effects and drops (and their bootstrap).
struct FamilyTally {
  double ld_intact = 0, ld_ablated = 0, correct_intact = 0, correct_ablated = 0, chance = 0;
  size_t n = 0;
  void add(size_t item, const ItemScores& intact, const ItemScores& ablated, double item_chance);
  double effect() const;  // NaN when Σ LD_intact ≤ 0
  double drop() const;    // NaN when acc_intact ≤ chance
};

// Chance of each kind of `items`: 1 / distinct answers of that kind in the suite.
std::vector<double> kind_chances(const Suite& suite, const ItemSet& items);

}  // namespace strata
