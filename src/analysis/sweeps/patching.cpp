// Patch sites, the Patcher (clean and corrupt caches, patched runs) and the
// activation patching sweep.
#include "analysis/sweeps/patching.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "analysis/sweeps/sweep-budget.h"
#include "base/error.h"

namespace strata {

using nlohmann::json;

namespace {

constexpr PatchLevel kAllLevels[] = {PatchLevel::Resid, PatchLevel::Attn,    PatchLevel::Mlp,    PatchLevel::Head,
                                     PatchLevel::AttnPos, PatchLevel::MlpPos, PatchLevel::HeadPos};

bool per_position(PatchLevel level) {
  return level == PatchLevel::Resid || level == PatchLevel::AttnPos || level == PatchLevel::MlpPos ||
         level == PatchLevel::HeadPos;
}

bool per_head(PatchLevel level) { return level == PatchLevel::Head || level == PatchLevel::HeadPos; }

}  // namespace

// --- sites ---------------------------------------------------------------------

const char* patch_level_name(PatchLevel level) {
  switch (level) {
    case PatchLevel::Resid: return "resid";
    case PatchLevel::Attn: return "attn";
    case PatchLevel::Mlp: return "mlp";
    case PatchLevel::Head: return "head";
    case PatchLevel::AttnPos: return "attn_pos";
    case PatchLevel::MlpPos: return "mlp_pos";
    case PatchLevel::HeadPos: return "head_pos";
  }
  return "?";
}

HookId PatchSite::hook(const ModelConfig& config) const {
  switch (level) {
    case PatchLevel::Resid: return boundary_hook(config, layer);
    case PatchLevel::Attn:
    case PatchLevel::AttnPos: return {HookKind::AttnOut, layer};
    case PatchLevel::Mlp:
    case PatchLevel::MlpPos: return {HookKind::MlpOut, layer};
    case PatchLevel::Head:
    case PatchLevel::HeadPos: return {HookKind::Z, layer};
  }
  return {};
}

std::string PatchSite::label() const {
  std::string s;
  switch (level) {
    case PatchLevel::Resid: s = "resid " + std::to_string(layer); break;
    case PatchLevel::Attn:
    case PatchLevel::AttnPos: s = "L" + std::to_string(layer) + " attn"; break;
    case PatchLevel::Mlp:
    case PatchLevel::MlpPos: s = "L" + std::to_string(layer) + " mlp"; break;
    case PatchLevel::Head:
    case PatchLevel::HeadPos: s = "L" + std::to_string(layer) + "H" + std::to_string(head); break;
  }
  if (position >= 0) s += " @" + std::to_string(position);
  return s;
}

json PatchSite::to_json(const ModelConfig& config) const {
  json j = {{"level", patch_level_name(level)}, {"hook", hook_name(hook(config))}, {"label", label()}};
  j[level == PatchLevel::Resid ? "boundary" : "layer"] = layer;
  if (per_head(level)) j["head"] = head;
  if (position >= 0) j["position"] = position;
  return j;
}

std::vector<PatchSite> patch_sites(const ModelConfig& config, int64_t n_pos, const std::vector<PatchLevel>& levels) {
  std::vector<PatchSite> out;
  for (PatchLevel level : kAllLevels) {
    if (std::find(levels.begin(), levels.end(), level) == levels.end()) continue;
    const int layers = level == PatchLevel::Resid ? config.n_layers + 1 : config.n_layers;
    const int heads = per_head(level) ? config.n_heads : 1;
    const int positions = per_position(level) ? static_cast<int>(n_pos) : 1;
    for (int l = 0; l < layers; ++l)
      for (int h = 0; h < heads; ++h)
        for (int p = 0; p < positions; ++p)
          out.push_back({level, l, per_head(level) ? h : -1, per_position(level) ? p : -1});
  }
  return out;
}

// --- the Patcher ---------------------------------------------------------------

Patcher::Patcher(const Model& model, const ItemSet& items, const std::vector<PatchSite>& sites, bool reuse_cache)
    : model_(model), items_(items), reuse_cache_(reuse_cache) {
  const ModelConfig& c = model.config;
  for (const PatchSite& s : sites) {
    const HookId h = s.hook(c);
    if (std::find(clean_hooks_.begin(), clean_hooks_.end(), h) == clean_hooks_.end()) clean_hooks_.push_back(h);
  }
  RunOptions clean_options, corrupt_options;
  clean_options.last_logits_only = corrupt_options.last_logits_only = true;
  clean_options.capture = clean_hooks_;
  if (reuse_cache) {
    corrupt_options.capture = boundary_hooks(c);
    corrupt_options.capture.insert(corrupt_options.capture.end(), clean_hooks_.begin(), clean_hooks_.end());
  }
  for (size_t i = 0; i < items.items.size(); ++i) {
    const SweepItem& item = items.items[i];
    const RunResult clean = run(model, item.tokens, clean_options);
    const RunResult corrupt = run(model, item.corrupt_tokens, corrupt_options);
    ld_clean_.push_back(logit_diff(clean.logits.row(clean.logits.rows() - 1), i));
    ld_corrupt_.push_back(logit_diff(corrupt.logits.row(corrupt.logits.rows() - 1), i));
    clean_.emplace_back();
    for (const HookId& h : clean_hooks_) clean_.back().push_back(clean.cache.at(h));
    if (reuse_cache) {
      corrupt_.push_back(boundaries_from(corrupt.cache, c));
      corrupt_values_.emplace_back();
      for (const HookId& h : clean_hooks_) corrupt_values_.back().push_back(corrupt.cache.at(h));
    }
  }
}

double Patcher::logit_diff(const RowVec& last_logits, size_t item) const {
  const SweepItem& s = items_.items[item];
  return static_cast<double>(last_logits[s.answer]) - static_cast<double>(last_logits[s.corrupt_answer]);
}

double Patcher::patched_logit_diff(size_t item, const PatchSite& site) const {
  Intervention iv;
  iv.hook = site.hook(model_.config);
  iv.op = InterventionOp::Patch;
  if (site.head >= 0) iv.head = site.head;
  if (site.position >= 0) iv.positions = {site.position};
  const auto found = std::find(clean_hooks_.begin(), clean_hooks_.end(), iv.hook);
  if (found == clean_hooks_.end()) throw Error("patching: the clean run did not keep " + hook_name(iv.hook));
  const size_t slot = static_cast<size_t>(found - clean_hooks_.begin());
  iv.value = clean_[item][slot];
  if (reuse_cache_) {
    // A patch that writes the values already there (a position before the
    // first differing token, say) leaves the corrupt run as it is.
    Tensor patched = corrupt_values_[item][slot];
    apply_intervention(iv, patched.data.data(), patched.shape);
    if (patched.data == corrupt_values_[item][slot].data) return ld_corrupt_[item];
  }
  const RowVec logits = intervened_last_logits(model_, items_.items[item].corrupt_tokens, {iv},
                                               reuse_cache_ ? &corrupt_[item] : nullptr);
  return logit_diff(logits, item);
}

// --- the sweep -----------------------------------------------------------------

namespace {

PatchLevel patch_level_from_name(const std::string& name) {
  for (PatchLevel level : kAllLevels)
    if (name == patch_level_name(level)) return level;
  throw Error("patching level \"" + name + "\" is unknown");
}

// Mean of `values` over the used items of each kind and family; null when none.
json means_json(const ItemSet& items, const std::vector<uint8_t>& used, const std::vector<double>& values) {
  json by_kind = json::object(), by_family = json::object();
  std::vector<double> family_sum(items.families.size(), 0.0);
  std::vector<int> family_n(items.families.size(), 0);
  for (const KindGroup& k : items.kinds) {
    double sum = 0;
    int n = 0;
    for (size_t i : k.items)
      if (used[i]) {
        sum += values[i];
        ++n;
      }
    by_kind[k.name] = n ? json(sum / n) : json(nullptr);
    family_sum[k.family_index] += sum;
    family_n[k.family_index] += n;
  }
  for (size_t f = 0; f < items.families.size(); ++f)
    by_family[items.families[f]] = family_n[f] ? json(family_sum[f] / family_n[f]) : json(nullptr);
  return {{"by_kind", by_kind}, {"by_family", by_family}};
}

json pair_counts(const ItemSet& items, const std::vector<uint8_t>& used, const Patcher& patcher) {
  json out = {{"by_kind", json::object()}, {"by_family", json::object()}};
  auto tally = [&](const std::vector<size_t>& members) {
    int n_used = 0;
    double clean = 0, corrupt = 0;
    for (size_t i : members) {
      n_used += used[i] ? 1 : 0;
      clean += patcher.clean_logit_diff(i);
      corrupt += patcher.corrupt_logit_diff(i);
    }
    const double n = static_cast<double>(members.size());
    return json{{"n", members.size()}, {"used", n_used}, {"skipped", static_cast<int>(members.size()) - n_used},
                {"mean_ld_clean", clean / n}, {"mean_ld_corrupt", corrupt / n}};
  };
  for (const KindGroup& k : items.kinds) out["by_kind"][k.name] = tally(k.items);
  for (size_t f = 0; f < items.families.size(); ++f)
    out["by_family"][items.families[f]] = tally(items.family_items(static_cast<int>(f)));
  return out;
}

}  // namespace

const SettingsTable& patching_settings() {
  static const SettingsTable table = [] {
    std::vector<std::string> level_names;
    for (PatchLevel level : kAllLevels) level_names.push_back(patch_level_name(level));
    return item_selection_settings() +
           SettingsTable{name_list_setting("levels", {"resid", "attn", "mlp", "head"}, level_names,
                                           "the sites patched; the per-position attn_pos, mlp_pos and head_pos on "
                                           "request (on the shipped models attn_pos and mlp_pos more than double "
                                           "the sweep)"),
                         number_setting("min_gap", 1.0, 0.0, 1e6,
                                        "a pair is used when its clean and corrupt logit differences differ by at "
                                        "least this much (logits)"),
                         reuse_cache_setting(), budget_setting(), shard_setting()};
  }();
  return table;
}

json run_patching(const AnalysisRequest& request) {
  const Suite& suite = request.require_suite("patching");
  SettingsReader settings(request.settings, "patching", patching_settings());
  ItemSelection selection = read_item_selection(settings);
  const double budget_seconds = read_budget_seconds(settings);
  const std::vector<std::string> level_names = settings.get_names("levels");
  const double min_gap = settings.get_double("min_gap");
  const bool reuse_cache = settings.get_bool("reuse_cache");
  const std::pair<int, int> shard = settings.get_shard();
  settings.finish();

  const Model& model = request.session.model();
  ItemSet items = select_items(request.session, suite, selection, request.seed, "patching");
  std::vector<PatchLevel> levels;
  for (const std::string& name : level_names) levels.push_back(patch_level_from_name(name));
  const std::vector<PatchSite> sites = patch_sites(model.config, items.n_pos, levels);
  const std::optional<json> budget = fit_to_budget(request.session, suite, selection, request.seed, items,
                                                   static_cast<double>(sites.size() + 2), budget_seconds, "patching");
  request.report(0.0, "clean and corrupt runs");
  const Patcher patcher(model, items, shard_units(sites, shard), reuse_cache);
  std::vector<uint8_t> used;
  for (size_t i = 0; i < items.items.size(); ++i) {
    const double gap = std::abs(patcher.clean_logit_diff(i) - patcher.corrupt_logit_diff(i));
    used.push_back(gap >= min_gap && gap > 0 ? 1 : 0);
  }

  const json units = sweep_units(
      request, sites.size(), shard, [&](size_t u) { return "patching " + sites[u].label(); },
      [&](size_t u) {
        std::vector<double> recovery(items.items.size(), 0.0);
        for (size_t i = 0; i < items.items.size(); ++i) {
          if (!used[i]) continue;
          const double ld_corrupt = patcher.corrupt_logit_diff(i);
          recovery[i] = (patcher.patched_logit_diff(i, sites[u]) - ld_corrupt) / (patcher.clean_logit_diff(i) - ld_corrupt);
        }
        json unit = sites[u].to_json(model.config);
        unit["recovery"] = means_json(items, used, recovery);
        return unit;
      });

  json echo = sweep_echo(selection, reuse_cache, shard);
  echo["levels"] = level_names;
  echo["min_gap"] = min_gap;
  return with_budget({{"settings", echo},
                      {"items", items_json(items)},
                      {"pairs", pair_counts(items, used, patcher)},
                      {"n_units", sites.size()},
                      {"units", units}},
                     budget_seconds, budget);
}

}  // namespace strata
