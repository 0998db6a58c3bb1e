// The study's labelling pipeline for one contrast: tests, corrections, votes,
// labels and their replication on disjoint halves (study-labels.h).
#include "analysis/study/study-labels.h"

#include <algorithm>
#include <cmath>

#include "analysis/shared/statistics.h"
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

std::vector<std::pair<std::vector<char>, std::vector<char>>> replication_halves(const std::vector<int>& strata,
                                                                              int replications, uint64_t seed) {
  // stratified_folds wants non-negative groups: items outside the contrast get a group of their own, then are dropped.
  int outside = 0;
  for (int s : strata) outside = std::max(outside, s + 1);
  std::vector<int> groups(strata);
  for (int& g : groups)
    if (g < 0) g = outside;
  std::vector<std::pair<std::vector<char>, std::vector<char>>> out;
  for (int r = 0; r < replications; ++r) {
    const std::vector<int> half = stratified_folds(groups, 2, seed + 0x5EED0000ull + static_cast<uint64_t>(r));
    std::vector<char> a(strata.size(), 0), b(strata.size(), 0);
    for (size_t i = 0; i < strata.size(); ++i) {
      if (strata[i] < 0) continue;
      (half[i] == 0 ? a : b)[i] = 1;
    }
    out.emplace_back(std::move(a), std::move(b));
  }
  return out;
}

namespace {

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

using Halves = std::vector<std::pair<std::vector<char>, std::vector<char>>>;

// A label replicates in a pair of halves when both halves, tested alone, give it.
struct Replication {
  json labels = json::array();  // [[label on half a, label on half b], ...]
  double fraction = 0;
};

Replication replication_of(const std::string& label, const std::vector<std::pair<std::string, std::string>>& pairs) {
  Replication r;
  for (const auto& [a, b] : pairs) {
    r.labels.push_back({a, b});
    r.fraction += a == label && b == label ? 1.0 : 0.0;
  }
  r.fraction /= static_cast<double>(std::max<size_t>(1, pairs.size()));
  return r;
}

json unit_json(const UnitTests& t, size_t u, const std::vector<MetricInfo>& metrics, const VoteRule& rule,
               const Replication& r, double threshold) {
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
          {"replication_labels", r.labels},
          {"consistency", r.fraction},
          {"consistent", r.fraction >= threshold}};
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

// Layers or heads: the tests on all items, on each half, and the JSON per unit.
json units_section(const std::vector<std::vector<std::vector<double>>>& features, const std::vector<MetricInfo>& metrics,
                   const std::vector<ItemGroup>& groups, const Halves& halves, const VoteRule& rule, double threshold,
                   int n_heads, json& totals, std::vector<std::string>& labels) {
  const UnitTests all = test_units(features, metrics, groups, {}, rule);
  std::vector<std::pair<UnitTests, UnitTests>> tested;
  for (const auto& [a, b] : halves)
    tested.emplace_back(test_units(features, metrics, groups, a, rule), test_units(features, metrics, groups, b, rule));
  json out = json::array();
  std::vector<bool> consistent;
  for (size_t u = 0; u < all.label.size(); ++u) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& [a, b] : tested) pairs.emplace_back(a.label[u], b.label[u]);
    const Replication r = replication_of(all.label[u], pairs);
    consistent.push_back(r.fraction >= threshold);
    json j = unit_json(all, u, metrics, rule, r, threshold);
    if (n_heads > 0) {
      j["layer"] = static_cast<int>(u) / n_heads;
      j["head"] = static_cast<int>(u) % n_heads;
    } else {
      j["layer"] = u;
    }
    out.push_back(j);
  }
  totals = label_totals(all.label, consistent);
  labels = all.label;
  return out;
}

// --- neurons ---------------------------------------------------------------------

std::string neuron_label(const GroupComparison& c, double p_bonferroni, const StudyThresholds& t) {
  if (!(std::abs(c.d) > t.neuron_d) || !(p_bonferroni <= t.neuron_alpha) || std::isnan(c.d)) return "none";
  return c.d > 0 ? "reasoning" : "recall";
}

std::vector<double> neuron_column(const Mat& acts, int neuron) {
  std::vector<double> v(acts.rows());
  for (Eigen::Index i = 0; i < acts.rows(); ++i) v[i] = acts(i, neuron);
  return v;
}

json neurons_section(const StudyFeatures& f, const std::vector<ItemGroup>& groups, const Halves& halves,
                     const StudyThresholds& t, json& totals, const AnalysisRequest& request, double from, double to) {
  const size_t n = static_cast<size_t>(f.n_layers) * f.d_mlp;
  std::vector<GroupComparison> cmp(n);
  std::vector<double> p(n);
  for (int l = 0; l < f.n_layers; ++l) {
    request.report(from + (to - from) * l / f.n_layers, "neurons L" + std::to_string(l));
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
      labels[i] = neuron_label(cmp[i], p_bonf[i], t);
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
  if (labelled.size() > static_cast<size_t>(t.top_neurons)) labelled.resize(t.top_neurons);

  // A half's label: the test on that half alone, Bonferroni over every neuron as on all items.
  auto half_label = [&](const std::vector<double>& column, const std::vector<char>& half) {
    const GroupComparison c = compare_groups(column, groups, half);
    return neuron_label(c, std::min(1.0, c.p * static_cast<double>(n)), t);
  };
  json top = json::array();
  int top_consistent = 0;
  for (size_t i : labelled) {
    const int l = static_cast<int>(i) / f.d_mlp, k = static_cast<int>(i) % f.d_mlp;
    const std::vector<double> column = neuron_column(f.neurons[l], k);
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& [a, b] : halves) pairs.emplace_back(half_label(column, a), half_label(column, b));
    const Replication r = replication_of(labels[i], pairs);
    const bool ok = r.fraction >= t.consistency_threshold;
    if (ok) ++top_consistent;
    json j = comparison_json(cmp[i]);
    j["layer"] = l;
    j["neuron"] = k;
    j["p_bonferroni"] = p_bonf[i];
    j["label"] = labels[i];
    j["replication_labels"] = r.labels;
    j["consistency"] = r.fraction;
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

ContrastLabels label_contrast(const StudyFeatures& f, const std::vector<ItemGroup>& groups,
                              const std::vector<int>& strata, const StudyThresholds& t, uint64_t seed,
                              const AnalysisRequest& request, double from, double to) {
  const Halves halves = replication_halves(strata, t.replications, seed);
  ContrastLabels out;
  out.totals = json::object();
  request.report(from, "layers");
  const VoteRule layer_rule{t.layer_alpha, t.layer_d, false, t.layer_min_votes, false};
  out.layers = units_section(f.layer, layer_metrics(), groups, halves, layer_rule, t.consistency_threshold, 0,
                             out.totals["layers"], out.layer_labels);
  request.report(from + (to - from) * 0.1, "heads");
  const VoteRule head_rule{t.head_alpha, t.head_d, true, t.head_min_votes, true};
  out.heads = units_section(f.head, head_metrics(), groups, halves, head_rule, t.consistency_threshold, f.n_heads,
                            out.totals["heads"], out.head_labels);
  out.neurons = neurons_section(f, groups, halves, t, out.totals["neurons"], request, from + (to - from) * 0.2, to);
  return out;
}

json compact_labels(const ContrastLabels& labels) {
  return {{"layers", labels.layer_labels}, {"heads", labels.head_labels}, {"totals", labels.totals}};
}

}  // namespace strata
