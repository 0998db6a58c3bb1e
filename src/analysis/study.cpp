// The study's layer, head and neuron tests with their labels and fold consistency.
#include "analysis/study.h"

#include <algorithm>
#include <cmath>

#include "analysis/statistics.h"
#include "base/error.h"

namespace strata {

using nlohmann::json;

GroupComparison compare_groups(const std::vector<double>& values, const std::vector<ItemGroup>& groups,
                               const std::vector<char>& include) {
  std::vector<double> recall, reasoning, mixed;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!include.empty() && !include[i]) continue;
    switch (groups[i]) {
      case ItemGroup::Recall: recall.push_back(values[i]); break;
      case ItemGroup::Reasoning: reasoning.push_back(values[i]); break;
      case ItemGroup::Mixed: mixed.push_back(values[i]); break;
    }
  }
  GroupComparison c;
  c.mean_recall = mean_of(recall);
  c.mean_reasoning = mean_of(reasoning);
  c.has_mixed = !mixed.empty();
  c.mean_mixed = mean_of(mixed);
  c.d = cohens_d(recall, reasoning);
  const RankTest t = mann_whitney_u(recall, reasoning);
  c.u = t.u;
  c.p = t.p;
  return c;
}

std::string label_from_votes(int positive, int negative, int min_votes, bool agreeing) {
  if (positive + negative < min_votes) return "none";
  if (agreeing) return positive >= min_votes ? "reasoning" : negative >= min_votes ? "recall" : "mixed";
  if (positive > negative) return "reasoning";
  if (negative > positive) return "recall";
  return "mixed";
}

namespace {

json number(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

}  // namespace

json comparison_json(const GroupComparison& c) {
  json out = {{"mean_recall", number(c.mean_recall)},
              {"mean_reasoning", number(c.mean_reasoning)},
              {"d", number(c.d)},
              {"u", c.u},
              {"p", c.p}};
  if (c.has_mixed) out["mean_mixed"] = number(c.mean_mixed);
  return out;
}

namespace {

struct Settings {
  ItemSelection items;
  MlpActivation mlp = MlpActivation::Gate;
  int folds = 5;
  double fold_consistency = 0.8;
  double layer_alpha = 0.01, layer_d = 0.8;
  int layer_min_votes = 2;
  double head_alpha = 1e-4, head_d = 1.0;
  int head_min_votes = 3;
  double neuron_alpha = 1e-4, neuron_d = 1.0;
  int top_neurons = 50;
};

Settings read_settings(const json& settings) {
  SettingsReader r(settings, "study");
  Settings s;
  s.items = read_item_selection(r);
  s.mlp = read_mlp_activation(r);
  s.folds = r.get_int("folds", 5, 2, 20);
  s.fold_consistency = r.get_double("fold_consistency", 0.8, 0.0, 1.0);
  s.layer_alpha = r.get_double("layer_alpha", 0.01, 0.0, 1.0);
  s.layer_d = r.get_double("layer_d", 0.8, 0.0, 100.0);
  s.layer_min_votes = r.get_int("layer_min_votes", 2, 1, 6);
  s.head_alpha = r.get_double("head_alpha", 1e-4, 0.0, 1.0);
  s.head_d = r.get_double("head_d", 1.0, 0.0, 100.0);
  s.head_min_votes = r.get_int("head_min_votes", 3, 1, 5);
  s.neuron_alpha = r.get_double("neuron_alpha", 1e-4, 0.0, 1.0);
  s.neuron_d = r.get_double("neuron_d", 1.0, 0.0, 100.0);
  s.top_neurons = r.get_int("top_neurons", 50, 0, 100000);
  r.finish();
  return s;
}

json settings_json(const Settings& s) {
  return {{"items_per_kind", s.items.items_per_kind},
          {"split", s.items.split},
          {"kinds", s.items.required_kinds_only ? "required" : "all"},
          {"mlp_activation", s.mlp == MlpActivation::Gate ? "gate" : "post"},
          {"folds", s.folds},
          {"fold_consistency", s.fold_consistency},
          {"layer_alpha", s.layer_alpha},
          {"layer_d", s.layer_d},
          {"layer_min_votes", s.layer_min_votes},
          {"head_alpha", s.head_alpha},
          {"head_d", s.head_d},
          {"head_min_votes", s.head_min_votes},
          {"neuron_alpha", s.neuron_alpha},
          {"neuron_d", s.neuron_d},
          {"top_neurons", s.top_neurons}};
}

// A vote rule: |d| above (or at) a threshold and an adjusted p at most alpha.
struct VoteRule {
  double alpha, d;
  bool inclusive;  // |d| ≥ d rather than |d| > d
  int min_votes;
  bool agreeing;   // min_votes votes of one sign rather than a majority among min_votes votes
  int vote(double d_value, double p_adjusted) const {  // +1 reasoning, −1 recall, 0 none
    const double a = std::abs(d_value);
    const bool large = inclusive ? a >= d : a > d;
    if (!large || !(p_adjusted <= alpha) || std::isnan(d_value)) return 0;
    return d_value > 0 ? 1 : -1;
  }
};

// Every unit (a layer or a head) × metric, tested on the included items, with
// BH over the voting metrics of every unit, votes and a label per unit.
struct UnitTests {
  std::vector<std::vector<GroupComparison>> cmp;  // [unit][metric]
  std::vector<std::vector<double>> p_bh;          // [unit][metric], NaN for metrics that do not vote
  std::vector<int> positive, negative;
  std::vector<std::string> label;
};

UnitTests test_units(const std::vector<std::vector<std::vector<double>>>& features, const std::vector<MetricInfo>& metrics,
                     const std::vector<ItemGroup>& groups, const std::vector<char>& include, const VoteRule& rule) {
  const size_t n_metrics = metrics.size(), n_units = features[0].size();
  UnitTests t;
  t.cmp.assign(n_units, std::vector<GroupComparison>(n_metrics));
  t.p_bh.assign(n_units, std::vector<double>(n_metrics, std::nan("")));
  std::vector<double> p;
  for (size_t u = 0; u < n_units; ++u)
    for (size_t m = 0; m < n_metrics; ++m) {
      t.cmp[u][m] = compare_groups(features[m][u], groups, include);
      if (metrics[m].votes) p.push_back(t.cmp[u][m].p);
    }
  const std::vector<double> adjusted = benjamini_hochberg(p);
  size_t k = 0;
  t.positive.assign(n_units, 0);
  t.negative.assign(n_units, 0);
  for (size_t u = 0; u < n_units; ++u) {
    for (size_t m = 0; m < n_metrics; ++m) {
      if (!metrics[m].votes) continue;
      t.p_bh[u][m] = adjusted[k++];
      const int v = rule.vote(t.cmp[u][m].d, t.p_bh[u][m]);
      if (v > 0) ++t.positive[u];
      if (v < 0) ++t.negative[u];
    }
    t.label.push_back(label_from_votes(t.positive[u], t.negative[u], rule.min_votes, rule.agreeing));
  }
  return t;
}

// The include mask of every fold's complement.
std::vector<std::vector<char>> fold_complements(const std::vector<int>& fold, int k) {
  std::vector<std::vector<char>> out(k, std::vector<char>(fold.size(), 1));
  for (size_t i = 0; i < fold.size(); ++i) out[fold[i]][i] = 0;
  return out;
}

struct Consistency {
  std::vector<std::string> fold_labels;
  double fraction = 0;
};

Consistency consistency_of(const std::string& label, const std::vector<std::string>& fold_labels) {
  Consistency c{fold_labels, 0.0};
  for (const auto& l : fold_labels) c.fraction += l == label ? 1.0 : 0.0;
  c.fraction /= static_cast<double>(fold_labels.size());
  return c;
}

json unit_json(const UnitTests& t, size_t u, const std::vector<MetricInfo>& metrics, const VoteRule& rule,
               const Consistency& c, double threshold) {
  json m = json::object();
  for (size_t k = 0; k < metrics.size(); ++k) {
    json x = comparison_json(t.cmp[u][k]);
    x["votes"] = metrics[k].votes;
    if (metrics[k].votes) {
      x["p_bh"] = t.p_bh[u][k];
      const int v = rule.vote(t.cmp[u][k].d, t.p_bh[u][k]);
      x["vote"] = v > 0 ? json("reasoning") : v < 0 ? json("recall") : json(nullptr);
    }
    m[metrics[k].name] = x;
  }
  return {{"metrics", m},
          {"votes_recall", t.negative[u]},
          {"votes_reasoning", t.positive[u]},
          {"label", t.label[u]},
          {"fold_labels", c.fold_labels},
          {"consistency", c.fraction},
          {"consistent", c.fraction >= threshold}};
}

json label_totals(const std::vector<std::string>& labels, const std::vector<bool>& consistent) {
  json t = {{"n", labels.size()}, {"recall", 0}, {"reasoning", 0}, {"mixed", 0}, {"none", 0}, {"specialised", 0},
            {"consistent", 0}};
  for (size_t i = 0; i < labels.size(); ++i) {
    t[labels[i]] = t[labels[i]].get<int>() + 1;
    if (labels[i] != "none") {
      t["specialised"] = t["specialised"].get<int>() + 1;
      if (consistent[i]) t["consistent"] = t["consistent"].get<int>() + 1;
    }
  }
  return t;
}

// Layers or heads: the tests on all items, on each fold's complement, and the JSON per unit.
json units_section(const std::vector<std::vector<std::vector<double>>>& features, const std::vector<MetricInfo>& metrics,
                   const std::vector<ItemGroup>& groups, const std::vector<std::vector<char>>& complements,
                   const VoteRule& rule, double threshold, int n_heads, json& totals) {
  const UnitTests all = test_units(features, metrics, groups, {}, rule);
  std::vector<UnitTests> folds;
  for (const auto& include : complements) folds.push_back(test_units(features, metrics, groups, include, rule));
  json out = json::array();
  std::vector<bool> consistent;
  for (size_t u = 0; u < all.label.size(); ++u) {
    std::vector<std::string> fold_labels;
    for (const UnitTests& f : folds) fold_labels.push_back(f.label[u]);
    const Consistency c = consistency_of(all.label[u], fold_labels);
    consistent.push_back(c.fraction >= threshold);
    json j = unit_json(all, u, metrics, rule, c, threshold);
    if (n_heads > 0) {
      j["layer"] = static_cast<int>(u) / n_heads;
      j["head"] = static_cast<int>(u) % n_heads;
    } else {
      j["layer"] = u;
    }
    out.push_back(j);
  }
  totals = label_totals(all.label, consistent);
  return out;
}

// --- neurons ---------------------------------------------------------------------

std::string neuron_label(const GroupComparison& c, double p_bonferroni, const Settings& s) {
  if (!(std::abs(c.d) > s.neuron_d) || !(p_bonferroni <= s.neuron_alpha) || std::isnan(c.d)) return "none";
  return c.d > 0 ? "reasoning" : "recall";
}

std::vector<double> neuron_column(const Mat& acts, int neuron) {
  std::vector<double> v(acts.rows());
  for (Eigen::Index i = 0; i < acts.rows(); ++i) v[i] = acts(i, neuron);
  return v;
}

json neurons_section(const StudyFeatures& f, const std::vector<ItemGroup>& groups,
                     const std::vector<std::vector<char>>& complements, const Settings& s, json& totals,
                     const AnalysisRequest& request) {
  const size_t n = static_cast<size_t>(f.n_layers) * f.d_mlp;
  std::vector<GroupComparison> cmp(n);
  std::vector<double> p(n);
  for (int l = 0; l < f.n_layers; ++l) {
    request.report(0.7 + 0.25 * l / f.n_layers, "neurons L" + std::to_string(l));
    for (int k = 0; k < f.d_mlp; ++k) {
      cmp[l * f.d_mlp + k] = compare_groups(neuron_column(f.neurons[l], k), groups);
      p[l * f.d_mlp + k] = cmp[l * f.d_mlp + k].p;
    }
  }
  const std::vector<double> p_bonf = bonferroni(p);
  std::vector<std::string> labels(n);
  json by_layer = json::array();
  int recall = 0, reasoning = 0;
  std::vector<size_t> labelled;
  for (int l = 0; l < f.n_layers; ++l) {
    int lr = 0, lq = 0;
    for (int k = 0; k < f.d_mlp; ++k) {
      const size_t i = l * f.d_mlp + k;
      labels[i] = neuron_label(cmp[i], p_bonf[i], s);
      if (labels[i] == "recall") ++lr;
      if (labels[i] == "reasoning") ++lq;
      if (labels[i] != "none") labelled.push_back(i);
    }
    recall += lr;
    reasoning += lq;
    by_layer.push_back({{"layer", l}, {"recall", lr}, {"reasoning", lq}});
  }
  std::stable_sort(labelled.begin(), labelled.end(),
                   [&](size_t a, size_t b) { return std::abs(cmp[a].d) > std::abs(cmp[b].d); });
  if (labelled.size() > static_cast<size_t>(s.top_neurons)) labelled.resize(s.top_neurons);

  json top = json::array();
  int top_consistent = 0;
  for (size_t i : labelled) {
    const int l = static_cast<int>(i) / f.d_mlp, k = static_cast<int>(i) % f.d_mlp;
    const std::vector<double> column = neuron_column(f.neurons[l], k);
    std::vector<std::string> fold_labels;
    for (const auto& include : complements) {
      const GroupComparison c = compare_groups(column, groups, include);
      const double pb = std::min(1.0, c.p * static_cast<double>(n));
      fold_labels.push_back(neuron_label(c, pb, s));
    }
    const Consistency c = consistency_of(labels[i], fold_labels);
    const bool ok = c.fraction >= s.fold_consistency;
    if (ok) ++top_consistent;
    json j = comparison_json(cmp[i]);
    j["layer"] = l;
    j["neuron"] = k;
    j["p_bonferroni"] = p_bonf[i];
    j["label"] = labels[i];
    j["fold_labels"] = c.fold_labels;
    j["consistency"] = c.fraction;
    j["consistent"] = ok;
    top.push_back(j);
  }
  totals = {{"n", n},
            {"recall", recall},
            {"reasoning", reasoning},
            {"task_specific", recall + reasoning},
            {"fraction_task_specific", static_cast<double>(recall + reasoning) / static_cast<double>(n)},
            {"top", top.size()},
            {"top_consistent", top_consistent}};
  return {{"tested", n}, {"by_layer", by_layer}, {"top", top}};
}

}  // namespace

json run_study(const AnalysisRequest& request) {
  const Settings s = read_settings(request.settings);
  const Suite& suite = request.require_suite("study");
  request.report(0.0, "selecting items");
  const StudyItems items = select_study_items(request.session, suite, s.items, request.seed, "study");
  FeatureRequest what;
  what.mlp = s.mlp;
  const StudyFeatures f = extract_study_features(request, items, what, 0.0, 0.6);

  const std::vector<int> fold = stratified_folds(items.kind_index, s.folds, request.seed);
  const std::vector<std::vector<char>> complements = fold_complements(fold, s.folds);
  for (const auto& include : complements) {
    size_t recall = 0, reasoning = 0;
    for (size_t i = 0; i < include.size(); ++i) {
      if (!include[i]) continue;
      recall += items.groups[i] == ItemGroup::Recall;
      reasoning += items.groups[i] == ItemGroup::Reasoning;
    }
    if (recall < 2 || reasoning < 2)
      fail_expected("study.folds", "a fold count leaving at least 2 recall and 2 reasoning items outside each fold",
                    std::to_string(s.folds));
  }

  json totals = json::object();
  request.report(0.6, "layers");
  const VoteRule layer_rule{s.layer_alpha, s.layer_d, false, s.layer_min_votes, false};
  json layers = units_section(f.layer, layer_metrics(), items.groups, complements, layer_rule, s.fold_consistency, 0,
                              totals["layers"]);
  request.report(0.65, "heads");
  const VoteRule head_rule{s.head_alpha, s.head_d, true, s.head_min_votes, true};
  json heads = units_section(f.head, head_metrics(), items.groups, complements, head_rule, s.fold_consistency,
                             f.n_heads, totals["heads"]);
  json neurons = neurons_section(f, items.groups, complements, s, totals["neurons"], request);
  request.report(1.0, "done");
  return {{"items", describe_items(items)},
          {"mlp_activation", mlp_activation_source(request.session.model().config, s.mlp)},
          {"sign", "d = (mean_reasoning - mean_recall) / sqrt((var_recall + var_reasoning) / 2), sample variances; "
                   "d > 0: higher on reasoning items"},
          {"settings", settings_json(s)},
          {"layers", layers},
          {"heads", heads},
          {"neurons", neurons},
          {"totals", totals}};
}

}  // namespace strata
