// Circuit components, clean runs with their donors or means, and ablated runs.
#include "analysis/circuits/circuit-scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "base/seeded-random.h"
#include "base/error.h"

namespace strata {

using nlohmann::json;

// --- components ------------------------------------------------------------------

HookId CircuitComponent::hook() const {
  switch (kind) {
    case ComponentKind::Head: return {HookKind::Z, layer};
    case ComponentKind::Mlp: return {HookKind::MlpOut, layer};
    case ComponentKind::Attn: return {HookKind::Z, layer};  // every head
  }
  return {};
}

std::string CircuitComponent::label() const {
  std::string l = "L" + std::to_string(layer);
  switch (kind) {
    case ComponentKind::Head: l += "H" + std::to_string(head); break;
    case ComponentKind::Mlp: l += " mlp"; break;
    case ComponentKind::Attn: l += " attn"; break;
  }
  if (where == ComponentPositions::Subject) l += " @subject";
  if (where == ComponentPositions::Last) l += " @last";
  return l;
}

std::vector<CircuitComponent> circuit_candidates(const ModelConfig& config, const std::string& set, bool restricted) {
  std::vector<CircuitComponent> out;
  for (int l = 0; l < config.n_layers; ++l) {
    if (set == "attn_mlps") out.push_back({ComponentKind::Attn, l, -1, ComponentPositions::All});
    else
      for (int h = 0; h < config.n_heads; ++h) out.push_back({ComponentKind::Head, l, h, ComponentPositions::All});
    out.push_back({ComponentKind::Mlp, l, -1, ComponentPositions::All});
  }
  if (restricted)
    for (int l = 0; l < config.n_layers; ++l) {
      for (int h = 0; h < config.n_heads; ++h) out.push_back({ComponentKind::Head, l, h, ComponentPositions::Last});
      out.push_back({ComponentKind::Mlp, l, -1, ComponentPositions::Subject});
    }
  return out;
}

std::vector<int> common_subject_positions(const ItemSet& items, int recall_family) {
  std::optional<std::vector<int>> common;
  for (size_t i : items.family_items(recall_family)) {
    const SuiteItem& item = *items.items[i].item;
    const json* p = item.meta.is_object() && item.meta.contains("subject_positions") ? &item.meta["subject_positions"]
                                                                                      : nullptr;
    std::vector<int> positions;
    if (p && p->is_array())
      for (const json& x : *p)
        if (x.is_number_integer() && x.get<int64_t>() >= 0 && x.get<int64_t>() < items.n_pos)
          positions.push_back(x.get<int>());
    if (!p || !p->is_array() || p->empty() || positions.size() != p->size())
      throw Error("circuits.restricted: suite item \"" + item.id +
                  "\" has no meta.subject_positions within its prompt (an array of token positions)");
    if (common && *common != positions)
      throw Error("circuits.restricted: suite item \"" + item.id + "\" has subject positions " + json(positions).dump() +
                  ", the items before it " + json(*common).dump() + " (restricted candidates need one list)");
    common = positions;
  }
  return common.value_or(std::vector<int>{});
}

json component_json(const CircuitComponent& c, const std::vector<int>& subject_positions, int64_t n_pos) {
  json j = {{"label", c.label()}, {"hook", hook_name(c.hook())}};
  if (c.kind == ComponentKind::Head) j["head"] = c.head;
  if (c.where == ComponentPositions::Subject) j["positions"] = subject_positions;
  if (c.where == ComponentPositions::Last) j["positions"] = {n_pos - 1};
  return j;
}

AblationKind ablation_kind_from_name(const std::string& name) {
  if (name == "resample") return AblationKind::Resample;
  if (name == "mean") return AblationKind::Mean;
  if (name == "zero") return AblationKind::Zero;
  fail_expected("circuits.ablation", "resample, mean or zero", "\"" + name + "\"");
}

// --- the scorer ------------------------------------------------------------------

namespace {

constexpr size_t kNoDonor = std::numeric_limits<size_t>::max();

double logit_diff(const RowVec& logits, const SweepItem& item) {
  return static_cast<double>(logits[item.answer]) - static_cast<double>(logits[item.corrupt_answer]);
}

}  // namespace

CircuitScorer::CircuitScorer(const Model& model, const ItemSet& items, const std::vector<CircuitComponent>& candidates,
                             const std::vector<int>& subject_positions, AblationKind ablation, int donors,
                             uint64_t seed, bool reuse_cache)
    : model_(model),
      items_(items),
      candidates_(candidates),
      subject_positions_(subject_positions),
      ablation_(ablation),
      reuse_cache_(reuse_cache) {
  const ModelConfig& c = model.config;
  std::vector<HookId> kept;  // the hooks whose clean values an ablation reads, each once
  slot_.assign(hook_count(c), -1);
  if (ablation != AblationKind::Zero)
    for (const CircuitComponent& comp : candidates)
      if (slot_[hook_index(comp.hook(), c)] < 0) {
        slot_[hook_index(comp.hook(), c)] = static_cast<int>(kept.size());
        kept.push_back(comp.hook());
      }

  // Donors: `donors` distinct other items of the same kind, drawn item by item.
  size_t n_donors = 1;
  if (ablation == AblationKind::Resample) {
    size_t smallest = SIZE_MAX;
    for (const KindGroup& k : items.kinds) smallest = std::min(smallest, k.items.size());
    if (smallest < 2)
      throw Error("circuits: resample ablation needs at least 2 items of every kind in each item set (settings "
                  "selection_items_per_kind, validation_items_per_kind, null_items_per_kind)");
    n_donors = std::min(static_cast<size_t>(donors), smallest - 1);
  }
  SeededRandom rng(seed);
  for (size_t i = 0; i < items.items.size(); ++i) {
    if (ablation != AblationKind::Resample) {
      donors_.push_back({kNoDonor});
      continue;
    }
    std::vector<size_t> others;
    for (size_t j : items.kinds[items.items[i].kind].items)
      if (j != i) others.push_back(j);
    for (size_t d = 0; d < n_donors; ++d) {  // partial Fisher–Yates
      const size_t pick = d + static_cast<size_t>(rng.index(others.size() - d));
      std::swap(others[d], others[pick]);
    }
    donors_.emplace_back(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(n_donors));
  }

  RunOptions options;
  options.last_logits_only = true;
  options.capture = boundary_hooks(c);
  options.capture.insert(options.capture.end(), kept.begin(), kept.end());
  std::vector<std::vector<std::vector<double>>> sums(items.kinds.size(), std::vector<std::vector<double>>(kept.size()));
  for (const SweepItem& item : items.items) {
    const RunResult r = run(model, item.tokens, options);
    const RowVec last = r.logits.row(r.logits.rows() - 1);
    intact_.ld.push_back(logit_diff(last, item));
    intact_.correct.push_back(predicts(last, item.answer) ? 1.0 : 0.0);
    if (reuse_cache) boundaries_.push_back(boundaries_from(r.cache, c));
    if (ablation == AblationKind::Resample) {
      activations_.emplace_back();
      for (const HookId& h : kept) activations_.back().push_back(r.cache.at(h));
    }
    if (ablation == AblationKind::Mean)
      for (size_t s = 0; s < kept.size(); ++s) {
        const Tensor& t = r.cache.at(kept[s]);
        std::vector<double>& sum = sums[static_cast<size_t>(item.kind)][s];
        if (sum.empty()) sum.assign(t.data.size(), 0.0);
        for (size_t x = 0; x < t.data.size(); ++x) sum[x] += t.data[x];
      }
  }
  if (ablation == AblationKind::Mean)
    for (size_t k = 0; k < items.kinds.size(); ++k) {
      means_.emplace_back();
      for (size_t s = 0; s < kept.size(); ++s) {
        Tensor m{hook_tensor_shape(kept[s].kind, c, items.n_pos), {}};
        for (double x : sums[k][s]) m.data.push_back(static_cast<float>(x / static_cast<double>(items.kinds[k].items.size())));
        means_.back().push_back(std::move(m));
      }
    }
}

const Tensor& CircuitScorer::kept(size_t item, HookId hook) const {
  return activations_[item][static_cast<size_t>(slot_[hook_index(hook, model_.config)])];
}

std::vector<Intervention> CircuitScorer::interventions(const Subset& subset, size_t item, size_t donor) const {
  std::vector<Intervention> out;
  for (size_t index : subset) {
    const CircuitComponent& comp = candidates_[index];
    Intervention iv;
    iv.hook = comp.hook();
    if (comp.kind == ComponentKind::Head) iv.head = comp.head;
    if (comp.where == ComponentPositions::Subject) iv.positions = subject_positions_;
    if (comp.where == ComponentPositions::Last) iv.positions = {static_cast<int>(items_.n_pos - 1)};
    switch (ablation_) {
      case AblationKind::Zero: iv.op = InterventionOp::Zero; break;
      case AblationKind::Mean:
        iv.op = InterventionOp::Patch;  // a full-shape value: the kind's mean at each position
        iv.value = means_[static_cast<size_t>(items_.items[item].kind)]
                         [static_cast<size_t>(slot_[hook_index(iv.hook, model_.config)])];
        break;
      case AblationKind::Resample:
        iv.op = InterventionOp::Patch;
        iv.value = kept(donor, iv.hook);
        break;
    }
    out.push_back(std::move(iv));
  }
  return out;
}

const ItemScores& CircuitScorer::ablated(const Subset& subset) {
  const auto found = memo_.find(subset);
  if (found != memo_.end()) return found->second;
  ItemScores scores;
  for (size_t i = 0; i < items_.items.size(); ++i) {
    const SweepItem& item = items_.items[i];
    double ld = 0, correct = 0;
    for (size_t donor : donors_[i]) {
      const RowVec logits = intervened_last_logits(model_, item.tokens, interventions(subset, i, donor),
                                                   reuse_cache_ ? &boundaries_[i] : nullptr);
      ld += logit_diff(logits, item);
      correct += predicts(logits, item.answer) ? 1.0 : 0.0;
    }
    scores.ld.push_back(ld / static_cast<double>(donors_[i].size()));
    scores.correct.push_back(correct / static_cast<double>(donors_[i].size()));
  }
  return memo_.emplace(subset, std::move(scores)).first->second;
}

// --- tallies ---------------------------------------------------------------------

void FamilyTally::add(size_t item, const ItemScores& intact, const ItemScores& ablated, double item_chance) {
  ld_intact += intact.ld[item];
  ld_ablated += ablated.ld[item];
  correct_intact += intact.correct[item];
  correct_ablated += ablated.correct[item];
  chance += item_chance;
  ++n;
}

double FamilyTally::effect() const {
  if (!(ld_intact > 0)) return std::nan("");
  return 1.0 - ld_ablated / ld_intact;
}

double FamilyTally::drop() const {
  if (!(correct_intact > chance)) return std::nan("");
  return (correct_intact - correct_ablated) / (correct_intact - chance);
}

std::vector<double> kind_chances(const Suite& suite, const ItemSet& items) {
  std::vector<double> out;
  for (const KindGroup& k : items.kinds) {
    const auto stated = suite.kinds.find(k.name);
    if (stated != suite.kinds.end() && stated->second.chance > 0) {
      out.push_back(stated->second.chance);
      continue;
    }
    std::set<std::string> answers;
    for (const SuiteItem& item : suite.items)
      if (item.kind == k.name) answers.insert(item.answer);
    out.push_back(1.0 / static_cast<double>(std::max<size_t>(answers.size(), 1)));
  }
  return out;
}

}  // namespace strata
