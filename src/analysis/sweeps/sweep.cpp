// Settings, item selection, accuracy tallies and resumed runs shared by the sweeps.
#include "analysis/sweeps/sweep.h"

#include <algorithm>

#include "base/error.h"

namespace strata {

using nlohmann::json;

// --- settings ------------------------------------------------------------------

SettingsTable sweep_selection_settings(const std::string& kinds_default) {
  return {integer_setting("items_per_kind", 32, 1, 100000,
                          "the first N items of each kind in its split, in suite order (fewer if the suite has "
                          "fewer), leaving out the items the model answers wrong when the suite marks them"),
          names_setting("kinds", "the kinds to run on; default " + kinds_default),
          choice_setting("split", "auto", {"auto", "trained", "heldout"},
                         "\"auto\" asks recall kinds about trained facts (held-out facts cannot be known) and "
                         "every other family about held-out items"),
          answered_setting()};
}

SweepSelection read_sweep_selection(SettingsReader& settings) {
  SweepSelection s;
  s.items_per_kind = settings.get_int("items_per_kind");
  s.kinds = settings.get_names("kinds");
  s.split = settings.get_choice("split");
  s.keep_answered_wrong = read_keep_answered_wrong(settings);
  return s;
}

json to_json(const SweepSelection& selection) {
  json echo = {{"items_per_kind", selection.items_per_kind},
               {"kinds", selection.kinds.empty() ? json(nullptr) : json(selection.kinds)},
               {"split", selection.split}};
  if (selection.keep_answered_wrong) echo["answered"] = "all";
  return echo;
}

// --- items ---------------------------------------------------------------------

std::vector<size_t> ItemSet::family_items(int family) const {
  std::vector<size_t> out;
  for (const KindGroup& k : kinds)
    if (k.family_index == family) out.insert(out.end(), k.items.begin(), k.items.end());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

int32_t single_token(const Session& session, const std::string& text, const std::string& where) {
  const std::vector<int32_t> ids = session.tokenize(text);
  if (ids.size() != 1) fail_expected(where, "a single token", std::to_string(ids.size()) + " tokens");
  return ids[0];
}

std::string split_of(const SweepSelection& selection, const std::string& family) {
  if (selection.split != "auto") return selection.split;
  return family == "recall" ? "trained" : "heldout";
}

}  // namespace

ItemSet select_items(const Session& session, const Suite& suite, const SweepSelection& selection,
                     const std::string& analysis) {
  std::vector<std::string> kinds = selection.kinds;
  for (const std::string& name : kinds)
    if (!suite.kinds.count(name)) throw Error(analysis + ".kinds: \"" + name + "\" is not a kind of this suite");
  ItemSet set;
  const std::set<std::string>& wrong = answered_wrong(session, suite, selection.keep_answered_wrong);
  if (kinds.empty())
    for (const auto& entry : suite.kinds) {
      const std::string& name = entry.first;
      if (entry.second.optional) continue;
      // By default a kind the model answers no item of is left out (and named), not an error.
      const std::string split = split_of(selection, entry.second.family);
      size_t in_split = 0, right = 0;
      for (const SuiteItem& item : suite.items)
        if (item.kind == name && item.split == split) {
          ++in_split;
          if (!wrong.count(item.id)) ++right;
        }
      if (in_split > 0 && right == 0) set.all_wrong_kinds.push_back(name);
      else kinds.push_back(name);
    }
  if (kinds.empty() && !set.all_wrong_kinds.empty())
    throw Error(analysis + ": the model answers no item of any kind right (the suite marks them answered_wrong), "
                "and the analyses use the items a model answers right");
  if (kinds.empty()) throw Error(analysis + ".kinds: the suite has no kind that is not optional; name the kinds");

  std::set<std::string> families;
  for (const auto& [name, kind] : suite.kinds)  // the suite's order, whatever order the setting gave
    if (std::count(kinds.begin(), kinds.end(), name)) {
      set.kinds.push_back({name, kind.family, split_of(selection, kind.family), 0, {}});
      families.insert(kind.family);
    }
  set.families.assign(families.begin(), families.end());

  const bool marked = !selection.keep_answered_wrong && !suite.answered_wrong.weights_sha256.empty();
  for (size_t k = 0; k < set.kinds.size(); ++k) {
    KindGroup& group = set.kinds[k];
    group.family_index = static_cast<int>(
        std::find(set.families.begin(), set.families.end(), group.family) - set.families.begin());
    group.answered_wrong = marked ? 0 : -1;
    int seen = 0;
    for (const SuiteItem& item : suite.items) {
      if (item.kind != group.name || item.split != group.split) continue;
      if (wrong.count(item.id)) {
        ++group.answered_wrong;
        continue;
      }
      if (seen++ < selection.offset) continue;
      if (static_cast<int>(group.items.size()) == selection.items_per_kind) continue;  // counting the wrong ones on
      const std::string where = "suite item \"" + item.id + "\"";
      SweepItem s;
      s.item = &item;
      s.kind = static_cast<int>(k);
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
      group.items.push_back(set.items.size());
      set.items.push_back(std::move(s));
    }
    if (group.items.empty())
      throw Error(analysis + ": kind \"" + group.name + "\" has no " + group.split + " items" +
                  (selection.offset ? " after the first " + std::to_string(selection.offset) : std::string()) +
                  (group.answered_wrong > 0 ? " the model answers right (" + std::to_string(group.answered_wrong) +
                                                  " answered wrong are left out)"
                                            : std::string()) +
                  " (settings items_per_kind, kinds, split)");
  }
  return set;
}

json items_json(const ItemSet& items) {
  json kinds = json::array();
  for (const KindGroup& k : items.kinds) {
    kinds.push_back({{"kind", k.name}, {"family", k.family}, {"split", k.split}, {"n", k.items.size()}});
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

json sweep_echo(const SweepSelection& selection, bool reuse_cache, std::pair<int, int> shard) {
  json echo = to_json(selection);
  echo["reuse_cache"] = reuse_cache;
  echo["shard"] = {shard.first, shard.second};
  return echo;
}

}  // namespace strata
