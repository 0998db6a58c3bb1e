// What the intervention sweeps (ablation, patching, causal tracing, circuits)
// share: their common settings, the items they run on, sharding into units,
// and runs that resume from a cached residual stream.
//
// Common settings (item_selection_settings, analysis/shared/item-selection.h,
// and each sweep's table; each sweep echoes the values it used under
// "settings"): which items, and the shard. Every selected prompt must have one
// token length, and a corrupt prompt its prompt's length (the suites are built
// that way): per-position means and per-position results need it.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/shared/item-selection.h"
#include "model/boundaries.h"
#include "model/forward.h"

namespace strata {

// --- items ---------------------------------------------------------------------

struct SweepItem {
  const SuiteItem* item = nullptr;
  int kind = 0;  // index into ItemSet::kinds
  std::vector<int32_t> tokens, corrupt_tokens;
  int32_t answer = 0, corrupt_answer = 0;
};

struct KindGroup {
  std::string name, family, split;
  int family_index = 0;        // into ItemSet::families
  std::vector<size_t> items;   // indices into ItemSet::items
  int answered_wrong = -1;     // the kind's items in its split left out as answered wrong; -1: the suite has no marks
};

struct ItemSet {
  std::vector<SweepItem> items;     // grouped by kind, suite order within a kind
  std::vector<KindGroup> kinds;     // in the order of the suite's kinds (by name)
  std::vector<std::string> families;  // sorted
  int64_t n_pos = 0;                // every prompt's token length
  std::vector<std::string> all_wrong_kinds;  // default kinds left out: the model answers none of their items

  std::vector<size_t> family_items(int family) const;
};

// Tokenizes the selected items (select_suite_items, with its errors); throws
// naming the item when an answer is not one token or a prompt has another length.
ItemSet select_items(const Session& session, const Suite& suite, const ItemSelection& selection, uint64_t seed,
                     const std::string& analysis, size_t offset = 0);

// {"kinds": [{"kind", "family", "split", "n", "ids" (the items, in suite order), "answered_wrong"?}],
//  "families": [...], "n_pos": P}
// ("answered_wrong" when the suite marks the loaded model's wrong items: how many were left out;
// "all_wrong_kinds" lists the kinds a default selection left out because the model answers none right)
nlohmann::json items_json(const ItemSet& items);

// --- accuracy ------------------------------------------------------------------

// Exact-match accuracy per kind and per family (pooled over the family's items).
struct Accuracy {
  std::vector<double> by_kind;    // aligned with ItemSet::kinds
  std::vector<double> by_family;  // aligned with ItemSet::families
};

Accuracy accuracy_of(const ItemSet& items, const std::vector<uint8_t>& correct);
// {"by_kind": {kind: x}, "by_family": {family: x}}
nlohmann::json accuracy_json(const ItemSet& items, const Accuracy& accuracy);
// baseline − ablated, per kind and family
Accuracy accuracy_drop(const Accuracy& baseline, const Accuracy& ablated);

// Is the last position's most probable token `answer`? (ties: the lowest id, like evaluate_suite)
bool predicts(const RowVec& last_logits, int32_t answer);

// --- units ---------------------------------------------------------------------

inline bool in_shard(size_t unit, std::pair<int, int> shard) {
  return static_cast<int>(unit % static_cast<size_t>(shard.second)) == shard.first;
}

// The units of this shard, in order (a sweep prepares only their hooks).
template <class Unit>
std::vector<Unit> shard_units(const std::vector<Unit>& units, std::pair<int, int> shard) {
  std::vector<Unit> mine;
  for (size_t u = 0; u < units.size(); ++u)
    if (in_shard(u, shard)) mine.push_back(units[u]);
  return mine;
}

// The loop every sweep shares: the units of this shard in order, progress
// named by stage(u), and each unit's JSON as measure(u) gives it with the
// unit's index added as "unit"; then "done".
nlohmann::json sweep_units(const AnalysisRequest& request, size_t n_units, std::pair<int, int> shard,
                           const std::function<std::string(size_t)>& stage,
                           const std::function<nlohmann::json(size_t)>& measure);

// The settings every sweep echoes besides its own: the item selection, whether
// cached runs were reused, the shard.
nlohmann::json sweep_echo(const ItemSelection& selection, bool reuse_cache, std::pair<int, int> shard);

// --- residual boundaries and resumed runs ----------------------------------------

// The boundary a run must restart from for an intervention on `hook`: the
// hook's own block, or b for a hook that is boundary b.
int restart_boundary(const ModelConfig& config, HookId hook);

// The last position's logits of `tokens` run with `base` and then `interventions`.
// With `resume` (the boundaries of the same tokens run with `base` alone), the
// blocks below the earliest intervention are not recomputed: the run starts
// from the cached residual there, and interventions on that boundary itself
// are applied to it directly. Without it the run starts from the embedding.
// Both give the same numbers.
RowVec intervened_last_logits(const Model& model, const std::vector<int32_t>& tokens,
                              const std::vector<Intervention>& interventions, const Boundaries* resume,
                              const std::vector<Intervention>& base = {});

}  // namespace strata
