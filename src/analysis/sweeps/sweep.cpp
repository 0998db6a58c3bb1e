// Item sets, accuracy tallies and resumed runs shared by the sweeps.
#include "analysis/sweeps/sweep.h"

#include <algorithm>
#include <set>

#include "base/error.h"

namespace strata {

using nlohmann::json;

// --- items ---------------------------------------------------------------------

std::vector<size_t> ItemSet::family_items(int family) const {
  std::vector<size_t> out;
  for (const KindGroup& k : kinds)
    if (k.family_index == family) out.insert(out.end(), k.items.begin(), k.items.end());
  std::sort(out.begin(), out.end());
  return out;
}

ItemSet select_items(const Session& session, const Suite& suite, const ItemSelection& selection, uint64_t seed,
                     const std::string& analysis, size_t offset) {
  const SelectedItems selected = select_suite_items(session, suite, selection, seed, analysis, offset);
  ItemSet set;
  set.all_wrong_kinds = selected.all_wrong_kinds;
  std::set<std::string> families;
  for (const SelectedKind& k : selected.kinds) families.insert(k.family);
  set.families.assign(families.begin(), families.end());
  for (const SelectedKind& selected_kind : selected.kinds) {
    const int k = static_cast<int>(set.kinds.size());
    const int family = static_cast<int>(
        std::find(set.families.begin(), set.families.end(), selected_kind.family) - set.families.begin());
    set.kinds.push_back({selected_kind.name, selected_kind.family, selected_kind.split, family, {},
                         selected_kind.answered_wrong});
    for (size_t index : selected_kind.items) {
      const SuiteItem& item = suite.items[index];
      const std::string where = "suite item \"" + item.id + "\"";
      SweepItem s;
      s.item = &item;
      s.kind = k;
      s.tokens = session.tokenize(item.prompt);
      s.corrupt_tokens = session.tokenize(item.corrupt_prompt);
      s.answer = single_token(session, item.answer, where + ": answer");
      s.corrupt_answer = single_token(session, item.corrupt_answer, where + ": corrupt_answer");
      if (set.n_pos == 0) set.n_pos = static_cast<int64_t>(s.tokens.size());
      if (static_cast<int64_t>(s.tokens.size()) != set.n_pos)
        fail_expected(where + ": prompt", std::to_string(set.n_pos) + " tokens like the other prompts of the sweep",
                      std::to_string(s.tokens.size()));
      if (s.corrupt_tokens.size() != s.tokens.size())
        fail_expected(where + ": corrupt_prompt", std::to_string(s.tokens.size()) + " tokens like the prompt",
                      std::to_string(s.corrupt_tokens.size()));
      set.kinds.back().items.push_back(set.items.size());
      set.items.push_back(std::move(s));
    }
  }
  return set;
}

json items_json(const ItemSet& items) {
  json kinds = json::array();
  for (const KindGroup& k : items.kinds) {
    json ids = json::array();
    for (size_t i : k.items) ids.push_back(items.items[i].item->id);
    kinds.push_back({{"kind", k.name}, {"family", k.family}, {"split", k.split}, {"n", k.items.size()}, {"ids", ids}});
    if (k.answered_wrong >= 0) kinds.back()["answered_wrong"] = k.answered_wrong;
  }
  json out = {{"kinds", kinds}, {"families", items.families}, {"n_pos", items.n_pos}};
  if (!items.all_wrong_kinds.empty()) out["all_wrong_kinds"] = items.all_wrong_kinds;
  return out;
}

// --- accuracy ------------------------------------------------------------------

Accuracy accuracy_of(const ItemSet& items, const std::vector<uint8_t>& correct) {
  Accuracy a;
  std::vector<int> family_n(items.families.size(), 0), family_correct(items.families.size(), 0);
  for (const KindGroup& k : items.kinds) {
    int c = 0;
    for (size_t i : k.items) c += correct[i] ? 1 : 0;
    a.by_kind.push_back(static_cast<double>(c) / static_cast<double>(k.items.size()));
    family_n[k.family_index] += static_cast<int>(k.items.size());
    family_correct[k.family_index] += c;
  }
  for (size_t f = 0; f < items.families.size(); ++f)
    a.by_family.push_back(static_cast<double>(family_correct[f]) / static_cast<double>(family_n[f]));
  return a;
}

json accuracy_json(const ItemSet& items, const Accuracy& accuracy) {
  json by_kind = json::object(), by_family = json::object();
  for (size_t k = 0; k < items.kinds.size(); ++k) by_kind[items.kinds[k].name] = accuracy.by_kind[k];
  for (size_t f = 0; f < items.families.size(); ++f) by_family[items.families[f]] = accuracy.by_family[f];
  return {{"by_kind", by_kind}, {"by_family", by_family}};
}

Accuracy accuracy_drop(const Accuracy& baseline, const Accuracy& ablated) {
  Accuracy d;
  for (size_t k = 0; k < baseline.by_kind.size(); ++k) d.by_kind.push_back(baseline.by_kind[k] - ablated.by_kind[k]);
  for (size_t f = 0; f < baseline.by_family.size(); ++f)
    d.by_family.push_back(baseline.by_family[f] - ablated.by_family[f]);
  return d;
}

bool predicts(const RowVec& last_logits, int32_t answer) {
  Eigen::Index best = 0;
  last_logits.maxCoeff(&best);
  return best == answer;
}

// --- residual boundaries and resumed runs ----------------------------------------

int restart_boundary(const ModelConfig& config, HookId hook) {
  if (!hook_in_block(hook.kind)) return 0;
  if (hook.kind == HookKind::ResidPost) return hook.layer + 1;
  return hook.layer;
}

RowVec intervened_last_logits(const Model& model, const std::vector<int32_t>& tokens,
                              const std::vector<Intervention>& interventions, const Boundaries* resume,
                              const std::vector<Intervention>& base) {
  const ModelConfig& c = model.config;
  RunOptions options;
  options.last_logits_only = true;
  int start = c.n_layers;
  for (const Intervention& iv : interventions) start = std::min(start, restart_boundary(c, iv.hook));
  if (!resume || start == 0) {
    options.interventions = base;
    options.interventions.insert(options.interventions.end(), interventions.begin(), interventions.end());
    const Mat logits = run(model, tokens, options).logits;
    return logits.row(logits.rows() - 1);
  }
  // The start boundary's own interventions go on the cached residual: the run
  // never visits that hook when it is the final boundary.
  const int64_t n = static_cast<int64_t>(tokens.size());
  Mat resid = resume->resid[start];
  // In forward order: the previous block's resid_post, then this block's resid_pre.
  const HookId at_start[2] = {{HookKind::ResidPost, start - 1}, {HookKind::ResidPre, start}};
  for (const HookId& hook : at_start)
    for (const Intervention& iv : interventions)
      if (iv.hook == hook) {
        validate_intervention(iv, c, n);
        apply_intervention(iv, resid.data(), {resid.rows(), resid.cols()});
      }
  for (const Intervention& iv : interventions)
    if (iv.hook != at_start[0] && iv.hook != at_start[1]) options.interventions.push_back(iv);
  options.start_layer = start;
  options.resid_pre = &resid;
  const Mat logits = run(model, tokens, options).logits;
  return logits.row(logits.rows() - 1);
}

json sweep_units(const AnalysisRequest& request, size_t n_units, std::pair<int, int> shard,
                 const std::function<std::string(size_t)>& stage, const std::function<json(size_t)>& measure) {
  size_t mine = 0;
  for (size_t u = 0; u < n_units; ++u) mine += in_shard(u, shard) ? 1 : 0;
  json units = json::array();
  size_t done = 0;
  for (size_t u = 0; u < n_units; ++u) {
    if (!in_shard(u, shard)) continue;
    request.report(static_cast<double>(done++) / static_cast<double>(mine), stage(u));
    json unit = measure(u);
    unit["unit"] = u;
    units.push_back(std::move(unit));
  }
  request.report(1.0, "done");
  return units;
}

json sweep_echo(const ItemSelection& selection, bool reuse_cache, std::pair<int, int> shard) {
  json echo = to_json(selection);
  echo["reuse_cache"] = reuse_cache;
  echo["shard"] = {shard.first, shard.second};
  return echo;
}

}  // namespace strata
