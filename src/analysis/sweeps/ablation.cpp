// Ablation targets, the Ablator (clean caches, means, donors, ablated runs)
// and the ablation sweep.
#include "analysis/sweeps/ablation.h"

#include <algorithm>

#include "analysis/sweeps/sweep-budget.h"
#include "base/seeded-random.h"
#include "base/error.h"

namespace strata {

using nlohmann::json;

// --- targets -------------------------------------------------------------------

const char* ablation_level_name(AblationLevel level) {
  switch (level) {
    case AblationLevel::Layer: return "layer";
    case AblationLevel::Attn: return "attn";
    case AblationLevel::Mlp: return "mlp";
    case AblationLevel::Head: return "head";
    case AblationLevel::Neuron: return "neuron";
  }
  return "?";
}

AblationMethod ablation_method_from_name(const std::string& name) {
  if (name == "zero") return AblationMethod::Zero;
  if (name == "mean") return AblationMethod::Mean;
  if (name == "resample") return AblationMethod::Resample;
  fail_expected("ablation method", "zero, mean or resample", "\"" + name + "\"");
}

std::string AblationTarget::label() const {
  const std::string l = "L" + std::to_string(layer);
  switch (level) {
    case AblationLevel::Layer: return l + " block";
    case AblationLevel::Attn: return l + " attn";
    case AblationLevel::Mlp: return l + " mlp";
    case AblationLevel::Head: return l + "H" + std::to_string(index);
    case AblationLevel::Neuron: return l + " mlp N" + std::to_string(index);
  }
  return l;
}

std::vector<Intervention> AblationTarget::sites() const {
  const auto site = [](HookKind kind, int l) {
    Intervention iv;
    iv.hook = {kind, l};
    return iv;
  };
  switch (level) {
    case AblationLevel::Layer: return {site(HookKind::Z, layer), site(HookKind::MlpOut, layer)};
    case AblationLevel::Attn: return {site(HookKind::Z, layer)};
    case AblationLevel::Mlp: return {site(HookKind::MlpOut, layer)};
    case AblationLevel::Head: {
      Intervention iv = site(HookKind::Z, layer);
      iv.head = index;
      return {iv};
    }
    case AblationLevel::Neuron: {
      Intervention iv = site(HookKind::MlpPost, layer);
      iv.neurons = {index};
      return {iv};
    }
  }
  return {};
}

json AblationTarget::to_json() const {
  json j = {{"level", ablation_level_name(level)}, {"layer", layer}, {"label", label()}};
  if (level == AblationLevel::Head) j["head"] = index;
  if (level == AblationLevel::Neuron) j["neuron"] = index;
  json sites_json = json::array();
  for (const Intervention& iv : sites()) {
    json site = {{"hook", hook_name(iv.hook)}};
    if (iv.head) site["head"] = *iv.head;
    if (!iv.neurons.empty()) site["neurons"] = iv.neurons;
    sites_json.push_back(std::move(site));
  }
  j["sites"] = sites_json;
  return j;
}

std::vector<AblationTarget> ablation_targets(const ModelConfig& config, const std::vector<AblationLevel>& levels) {
  std::vector<AblationTarget> out;
  for (AblationLevel level : {AblationLevel::Layer, AblationLevel::Attn, AblationLevel::Mlp, AblationLevel::Head,
                              AblationLevel::Neuron}) {
    if (std::find(levels.begin(), levels.end(), level) == levels.end()) continue;
    const int per_layer = level == AblationLevel::Head ? config.n_heads : level == AblationLevel::Neuron ? config.d_mlp : 1;
    for (int l = 0; l < config.n_layers; ++l)
      for (int i = 0; i < per_layer; ++i)
        out.push_back({level, l, level == AblationLevel::Head || level == AblationLevel::Neuron ? i : -1});
  }
  return out;
}

json ablation_units_json(const ModelConfig& config) {
  json units = json::array();
  for (const AblationTarget& t : ablation_targets(config, {AblationLevel::Layer, AblationLevel::Mlp, AblationLevel::Head}))
    units.push_back(t.to_json());
  return units;
}

// --- the Ablator ---------------------------------------------------------------

Ablator::Ablator(const Model& model, const ItemSet& items, AblationMethod method,
                 const std::vector<AblationTarget>& targets, uint64_t seed, bool reuse_cache,
                 const Ablator* mean_source)
    : model_(model), items_(items), method_(method), reuse_cache_(reuse_cache), mean_source_(mean_source) {
  const ModelConfig& c = model.config;
  // The hooks whose clean values an ablation needs, each once.
  std::vector<HookId> kept;
  slot_.assign(hook_count(c), -1);
  if (method != AblationMethod::Zero && !(method == AblationMethod::Mean && mean_source))
    for (const AblationTarget& t : targets)
      for (const Intervention& site : t.sites())
        if (slot_[hook_index(site.hook, c)] < 0) {
          slot_[hook_index(site.hook, c)] = static_cast<int>(kept.size());
          kept.push_back(site.hook);
        }
  if (method == AblationMethod::Resample)
    for (const KindGroup& k : items.kinds)
      if (k.items.size() < 2)
        throw Error("resample ablation: kind \"" + k.name + "\" has " + std::to_string(k.items.size()) +
                    " item; needs at least 2 to draw a donor from (setting items_per_kind)");

  RunOptions options;
  options.last_logits_only = true;
  options.capture = boundary_hooks(c);
  options.capture.insert(options.capture.end(), kept.begin(), kept.end());
  std::vector<std::vector<double>> sums(kept.size());
  for (const SweepItem& item : items.items) {
    const RunResult r = run(model, item.tokens, options);
    baseline_.push_back(predicts(r.logits.row(r.logits.rows() - 1), item.answer) ? 1 : 0);
    if (reuse_cache) boundaries_.push_back(boundaries_from(r.cache, c));
    if (method == AblationMethod::Resample) {
      activations_.emplace_back();
      for (const HookId& h : kept) activations_.back().push_back(r.cache.at(h));
    }
    if (method == AblationMethod::Mean && !mean_source)
      for (size_t s = 0; s < kept.size(); ++s) {
        const Tensor& t = r.cache.at(kept[s]);
        if (sums[s].empty()) sums[s].assign(t.data.size(), 0.0);
        for (size_t i = 0; i < t.data.size(); ++i) sums[s][i] += t.data[i];
      }
  }
  if (method == AblationMethod::Mean && !mean_source)
    for (size_t s = 0; s < kept.size(); ++s) {
      Tensor m{hook_tensor_shape(kept[s].kind, c, items.n_pos), {}};
      for (double x : sums[s]) m.data.push_back(static_cast<float>(x / static_cast<double>(items.items.size())));
      means_.push_back(std::move(m));
    }
  if (method == AblationMethod::Resample) {
    SeededRandom rng(seed);
    donors_.resize(items.items.size());
    for (size_t i = 0; i < items.items.size(); ++i) {
      const std::vector<size_t>& same_kind = items.kinds[items.items[i].kind].items;
      const size_t self = static_cast<size_t>(std::find(same_kind.begin(), same_kind.end(), i) - same_kind.begin());
      size_t pick = static_cast<size_t>(rng.index(same_kind.size() - 1));
      if (pick >= self) ++pick;
      donors_[i] = same_kind[pick];
    }
  }
}

const Tensor& Ablator::stored(size_t item, HookId hook) const {
  return activations_[item][static_cast<size_t>(slot_[hook_index(hook, model_.config)])];
}

const Tensor& Ablator::mean(HookId hook) const {
  if (mean_source_) return mean_source_->mean(hook);
  const int s = slot_[hook_index(hook, model_.config)];
  if (s < 0) throw Error("mean ablation: no mean was computed for " + hook_name(hook));
  return means_[static_cast<size_t>(s)];
}

std::vector<Intervention> Ablator::interventions(const std::vector<AblationTarget>& set, size_t item) const {
  std::vector<Intervention> out;
  for (const AblationTarget& t : set)
    for (Intervention iv : t.sites()) {
      const HookId h = iv.hook;
      switch (method_) {
        case AblationMethod::Zero: iv.op = InterventionOp::Zero; break;
        case AblationMethod::Mean:
          iv.op = InterventionOp::Mean;
          iv.value = mean(h);
          break;
        case AblationMethod::Resample:
          iv.op = InterventionOp::Patch;
          iv.value = stored(donors_[item], h);
          break;
      }
      out.push_back(std::move(iv));
    }
  return out;
}

std::vector<uint8_t> Ablator::correct_with(const std::vector<AblationTarget>& set) const {
  std::vector<uint8_t> correct;
  for (size_t i = 0; i < items_.items.size(); ++i) {
    const SweepItem& item = items_.items[i];
    const RowVec logits = intervened_last_logits(model_, item.tokens, interventions(set, i),
                                                 reuse_cache_ ? &boundaries_[i] : nullptr);
    correct.push_back(predicts(logits, item.answer) ? 1 : 0);
  }
  return correct;
}

// --- the sweep -----------------------------------------------------------------

namespace {

AblationLevel level_from_name(const std::string& name) {
  for (AblationLevel level : {AblationLevel::Layer, AblationLevel::Attn, AblationLevel::Mlp, AblationLevel::Head,
                              AblationLevel::Neuron})
    if (name == ablation_level_name(level)) return level;
  throw Error("ablation level \"" + name + "\" is unknown");
}

}  // namespace

const SettingsTable& ablation_settings() {
  static const SettingsTable table =
      item_selection_settings() +
      SettingsTable{choice_setting("method", "mean", {"mean", "zero", "resample"},
                                   "what a switched-off component's output becomes: its mean over the items, zero, "
                                   "or another item's value (ablation.h)"),
                    name_list_setting("levels", {"layer", "attn", "mlp", "head"},
                                      {"layer", "attn", "mlp", "head", "neuron"}, "the kinds of unit swept"),
                    reuse_cache_setting(), budget_setting(), shard_setting()};
  return table;
}

json run_ablation(const AnalysisRequest& request) {
  const Suite& suite = request.require_suite("ablation");
  SettingsReader settings(request.settings, "ablation", ablation_settings());
  ItemSelection selection = read_item_selection(settings);
  const double budget_seconds = read_budget_seconds(settings);
  const std::string method = settings.get_choice("method");
  const std::vector<std::string> level_names = settings.get_names("levels");
  const bool reuse_cache = settings.get_bool("reuse_cache");
  const std::pair<int, int> shard = settings.get_shard();
  settings.finish();

  const Model& model = request.session.model();
  ItemSet items = select_items(request.session, suite, selection, request.seed, "ablation");
  std::vector<AblationLevel> levels;
  for (const std::string& name : level_names) levels.push_back(level_from_name(name));
  const std::vector<AblationTarget> targets = ablation_targets(model.config, levels);
  const std::optional<json> budget = fit_to_budget(request.session, suite, selection, request.seed, items,
                                                   static_cast<double>(targets.size() + 1), budget_seconds, "ablation");

  request.report(0.0, "clean runs");
  const Ablator ablator(model, items, ablation_method_from_name(method), shard_units(targets, shard),
                        derived_seed(request.seed, 1), reuse_cache);
  const Accuracy baseline = accuracy_of(items, ablator.baseline());

  const json units = sweep_units(
      request, targets.size(), shard, [&](size_t u) { return "ablating " + targets[u].label(); },
      [&](size_t u) {
        const Accuracy ablated = accuracy_of(items, ablator.correct_with({targets[u]}));
        json unit = targets[u].to_json();
        unit["accuracy"] = accuracy_json(items, ablated);
        unit["drop"] = accuracy_json(items, accuracy_drop(baseline, ablated));
        return unit;
      });

  json echo = sweep_echo(selection, reuse_cache, shard);
  echo["method"] = method;
  echo["levels"] = level_names;
  return with_budget({{"settings", echo},
                      {"items", items_json(items)},
                      {"baseline", accuracy_json(items, baseline)},
                      {"n_units", targets.size()},
                      {"units", units}},
                     budget_seconds, budget);
}

}  // namespace strata
