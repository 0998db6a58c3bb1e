// The recall/reasoning study: its settings and items, the real contrast and
// its null contrasts through one labelling pipeline (study-labels.h).
#include "analysis/study/study.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "analysis/study/probes.h"
#include "analysis/shared/statistics.h"
#include "base/error.h"
#include "base/seeded-random.h"

namespace strata {

using nlohmann::json;

const SettingsTable& study_settings() {
  static const SettingsTable table =
      item_selection_settings() +
      SettingsTable{
          mlp_activation_setting(),
          integer_setting("replications", 5, 1, 50, "draws of two disjoint halves each label is replicated on"),
          number_setting("consistency_threshold", 0.8, 0.0, 1.0,
                         "the share of halves that must give a unit's label for it to count as consistent"),
          number_setting("layer_alpha", 0.01, 0.0, 1.0, "a layer metric votes when p_bh ≤ this and |d| > layer_d"),
          number_setting("layer_d", 0.8, 0.0, 100.0, "the smallest |Cohen's d| of a voting layer metric"),
          integer_setting("layer_min_votes", 2, 1, 5, "votes a layer needs for a label"),
          number_setting("head_alpha", 1e-4, 0.0, 1.0, "a head metric votes when p_bh ≤ this and |d| > head_d"),
          number_setting("head_d", 1.0, 0.0, 100.0, "the smallest |Cohen's d| of a voting head metric"),
          integer_setting("head_min_votes", 3, 1, 5, "votes a head needs for a label"),
          number_setting("neuron_alpha", 1e-4, 0.0, 1.0, "a neuron is labelled when p_bonferroni ≤ this and |d| > neuron_d"),
          number_setting("neuron_d", 1.0, 0.0, 100.0, "the smallest |Cohen's d| of a labelled neuron"),
          integer_setting("top_neurons", 50, 0, 100000, "labelled neurons of largest |d| replicated on halves"),
          flag_setting("nulls", true, "run the same pipeline on the null contrasts (study.h)"),
          random_std_setting()};
  return table;
}

namespace {

struct Settings {
  ItemSelection items;
  MlpActivation mlp = MlpActivation::Gate;
  StudyThresholds thresholds;
  bool nulls = true;
  double random_std = 0.02;
  json echo;  // every setting with the value used
};

Settings read_settings(const json& settings) {
  SettingsReader r(settings, "study", study_settings());
  Settings s;
  s.items = read_item_selection(r);
  s.mlp = read_mlp_activation(r);
  StudyThresholds& t = s.thresholds;
  t.replications = r.get_int("replications");
  t.consistency_threshold = r.get_double("consistency_threshold");
  t.layer_alpha = r.get_double("layer_alpha");
  t.layer_d = r.get_double("layer_d");
  t.layer_min_votes = r.get_int("layer_min_votes");
  t.head_alpha = r.get_double("head_alpha");
  t.head_d = r.get_double("head_d");
  t.head_min_votes = r.get_int("head_min_votes");
  t.neuron_alpha = r.get_double("neuron_alpha");
  t.neuron_d = r.get_double("neuron_d");
  t.top_neurons = r.get_int("top_neurons");
  s.nulls = r.get_bool("nulls");
  s.random_std = r.get_double("random_std");
  r.finish();
  s.echo = r.echo();
  return s;
}

// Salted seeds: the halves, the null's draws and the random weights use independent streams.

// --- contrasts -------------------------------------------------------------------

// Two sides of the items: groups[i] Recall for side a, Reasoning for side b,
// Mixed outside; strata[i] the item's stratum for the replication halves (−1 outside).
struct Contrast {
  std::string name, side_a, side_b;
  std::vector<ItemGroup> groups;
  std::vector<int> strata;
  std::string skipped;  // why the contrast could not be formed ("" when it could)
};

size_t side_count(const Contrast& c, ItemGroup g) { return static_cast<size_t>(std::count(c.groups.begin(), c.groups.end(), g)); }

// Every replication half needs two items per side: four per side in all.
void check_sides(Contrast& c) {
  if (c.skipped.empty() && (side_count(c, ItemGroup::Recall) < 4 || side_count(c, ItemGroup::Reasoning) < 4))
    c.skipped = "fewer than 4 items on a side (" + std::to_string(side_count(c, ItemGroup::Recall)) + " and " +
                std::to_string(side_count(c, ItemGroup::Reasoning)) + ")";
}

Contrast real_contrast(const StudyItems& items) {
  Contrast c{"recall vs reasoning", "recall", "reasoning", items.groups, {}, ""};
  for (size_t i = 0; i < items.items.size(); ++i)
    c.strata.push_back(items.groups[i] == ItemGroup::Mixed ? -1 : items.kind_index[i]);
  return c;
}

// One family's items dealt, kind by kind, into two halves with the seed.
Contrast random_halves(const StudyItems& items, ItemGroup family, uint64_t seed) {
  const std::string f = group_name(family);
  Contrast c{f + ": two random halves", f + " half 1", f + " half 2", {}, {}, ""};
  std::vector<int> strata;
  for (size_t i = 0; i < items.items.size(); ++i) strata.push_back(items.groups[i] == family ? items.kind_index[i] : -1);
  int outside = 0;
  for (int s : strata) outside = std::max(outside, s + 1);
  std::vector<int> dealt(strata);
  for (int& s : dealt)
    if (s < 0) s = outside;
  const std::vector<int> half = stratified_folds(dealt, 2, seed);
  for (size_t i = 0; i < items.items.size(); ++i) {
    const bool in = strata[i] >= 0;
    c.groups.push_back(!in ? ItemGroup::Mixed : half[i] == 0 ? ItemGroup::Recall : ItemGroup::Reasoning);
    c.strata.push_back(in ? strata[i] * 2 + half[i] : -1);
  }
  return c;
}

// The first two kinds (by name) of one family, one against the other.
Contrast kind_vs_kind(const StudyItems& items, ItemGroup family) {
  const std::string f = group_name(family);
  std::set<std::string> kinds;
  for (size_t i = 0; i < items.items.size(); ++i)
    if (items.groups[i] == family) kinds.insert(items.items[i]->kind);
  Contrast c{f + " kind vs " + f + " kind", "", "", std::vector<ItemGroup>(items.items.size(), ItemGroup::Mixed),
             std::vector<int>(items.items.size(), -1), ""};
  if (kinds.size() < 2) {
    c.skipped = "the items hold " + std::to_string(kinds.size()) + " " + f + " kind" + (kinds.size() == 1 ? "" : "s") +
                (kinds.empty() ? "" : " (" + *kinds.begin() + ")") + "; two are needed";
    return c;
  }
  c.side_a = *kinds.begin();
  c.side_b = *std::next(kinds.begin());
  c.name += ": " + c.side_a + " vs " + c.side_b;
  for (size_t i = 0; i < items.items.size(); ++i) {
    const std::string& k = items.items[i]->kind;
    if (k != c.side_a && k != c.side_b) continue;
    c.groups[i] = k == c.side_a ? ItemGroup::Recall : ItemGroup::Reasoning;
    c.strata[i] = items.kind_index[i];
  }
  return c;
}

json null_json(const Contrast& c, const json& labels) {
  json out = {{"name", c.name},
              {"sides", {c.side_a, c.side_b}},
              {"n", {side_count(c, ItemGroup::Recall), side_count(c, ItemGroup::Reasoning)}},
              {"labels", labels}};
  if (!c.skipped.empty()) out["skipped"] = c.skipped;
  return out;
}

}  // namespace

json run_study(const AnalysisRequest& request) {
  const Settings s = read_settings(request.settings);
  const Suite& suite = request.require_suite("study");
  request.report(0.0, "selecting items");
  const StudyItems items = select_study_items(request.session, suite, s.items, request.seed, "study");
  FeatureRequest what;
  what.mlp = s.mlp;
  const double features_end = s.nulls ? 0.3 : 0.6;
  const StudyFeatures f = extract_study_features(request, items, what, 0.0, features_end);

  Contrast real = real_contrast(items);
  check_sides(real);
  if (!real.skipped.empty())
    fail_expected("study: items", "at least 4 recall and 4 reasoning items (2 for each replication half)",
                  std::to_string(side_count(real, ItemGroup::Recall)) + " recall and " +
                      std::to_string(side_count(real, ItemGroup::Reasoning)) + " reasoning");
  const ContrastLabels labels =
      label_contrast(f, real.groups, real.strata, s.thresholds, salted_seed(request.seed, 1), request, features_end,
                     s.nulls ? 0.45 : 1.0);

  json out = {{"items", describe_items(items, s.items)},
              {"mlp_activation", mlp_activation_source(request.session.model().config, s.mlp)},
              {"sign", "d = (mean_reasoning - mean_recall) / sqrt((var_recall + var_reasoning) / 2), sample variances; "
                       "d > 0: higher on reasoning items"},
              {"settings", s.echo},
              {"layers", labels.layers},
              {"heads", labels.heads},
              {"neurons", labels.neurons},
              {"totals", labels.totals},
              {"labels", compact_labels(labels)}};
  if (!s.nulls) return out;

  // The nulls: the same pipeline where no mechanism is meant to differ.
  std::vector<Contrast> contrasts = {random_halves(items, ItemGroup::Recall, salted_seed(request.seed, 2)),
                                     random_halves(items, ItemGroup::Reasoning, salted_seed(request.seed, 3)),
                                     kind_vs_kind(items, ItemGroup::Recall), kind_vs_kind(items, ItemGroup::Reasoning)};
  json nulls = json::array();
  double progress = 0.45;
  const double step = 0.55 / static_cast<double>(contrasts.size() + 1);
  for (Contrast& c : contrasts) {
    check_sides(c);
    json l = nullptr;
    if (c.skipped.empty())
      l = compact_labels(label_contrast(f, c.groups, c.strata, s.thresholds, salted_seed(request.seed, 1), request, progress,
                                        progress + step));
    nulls.push_back(null_json(c, l));
    progress += step;
  }
  request.report(progress, "random model");
  const Model random = random_copy(request.session.model(), salted_seed(request.seed, 4), s.random_std);
  const StudyFeatures rf = extract_study_features(request, items, what, progress, progress + step / 2, &random);
  Contrast on_random = real_contrast(items);
  on_random.name = "recall vs reasoning on a randomly initialised model";
  nulls.push_back(null_json(on_random, compact_labels(label_contrast(rf, on_random.groups, on_random.strata, s.thresholds,
                                                                     salted_seed(request.seed, 1), request,
                                                                     progress + step / 2, 1.0))));
  out["nulls"] = nulls;
  request.report(1.0, "done");
  return out;
}

}  // namespace strata
