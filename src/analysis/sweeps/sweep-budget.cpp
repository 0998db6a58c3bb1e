#include "analysis/sweeps/sweep-budget.h"

#include <algorithm>
#include <cmath>

namespace strata {

double read_budget_seconds(SettingsReader& settings) {
  return settings.get_double("budget_seconds");
}

double forward_flops(const ModelConfig& c, int64_t n_pos) {
  const double p = static_cast<double>(n_pos), d = c.d_model, heads = c.n_heads, dh = c.d_head;
  const double kv = static_cast<double>(c.n_kv_heads) * dh;
  const double gated = c.model_type == "gpt2" ? 2.0 : 3.0;  // LLaMA and Qwen2 MLPs have a gate projection
  const double projections = 2 * p * d * (heads * dh + 2 * kv) + 2 * p * heads * dh * d;
  const double attention = 2 * 2 * p * p * heads * dh;  // scores and the weighted sum of values
  const double mlp = 2 * p * d * c.d_mlp * gated;
  return c.n_layers * (projections + attention + mlp) + 2 * d * c.d_vocab;  // the sweeps unembed the last position only
}

std::optional<nlohmann::json> fit_to_budget(const Session& session, const Suite& suite, ItemSelection& selection,
                                            uint64_t seed, ItemSet& items, double passes_per_item, double budget_seconds,
                                            const std::string& analysis) {
  if (budget_seconds <= 0) return std::nullopt;
  const double per_item = passes_per_item * forward_flops(session.model().config, items.n_pos) / kReferenceFlops;
  const double all_seconds = per_item * static_cast<double>(items.items.size());
  size_t most = 0;
  for (const KindGroup& k : items.kinds) most = std::max(most, k.items.size());
  if (all_seconds <= budget_seconds || most <= static_cast<size_t>(kMinItemsPerKind)) return std::nullopt;
  const int cut = std::max(kMinItemsPerKind, static_cast<int>(std::floor(static_cast<double>(most) * budget_seconds / all_seconds)));
  selection.items_per_kind = cut;
  items = select_items(session, suite, selection, seed, analysis);
  return nlohmann::json{{"budget_seconds", budget_seconds},
                        {"estimated_seconds_all", all_seconds},
                        {"items_per_kind_all", most},
                        {"estimated_seconds", per_item * static_cast<double>(items.items.size())},
                        {"items_per_kind", cut}};
}

nlohmann::json with_budget(nlohmann::json result, double budget_seconds, const std::optional<nlohmann::json>& cut) {
  if (budget_seconds > 0) result["settings"]["budget_seconds"] = budget_seconds;
  if (cut) result["budget"] = *cut;
  return result;
}

}  // namespace strata
