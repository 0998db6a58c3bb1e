// Per-layer top task-specific neurons with their activation distributions.
#include "analysis/study/neurons.h"

#include <algorithm>
#include <cmath>

#include "analysis/shared/statistics.h"
#include "analysis/study/study-features.h"
#include "analysis/study/study.h"

namespace strata {

using nlohmann::json;

std::vector<int> histogram_counts(const std::vector<double>& x, double lo, double hi, int bins) {
  std::vector<int> counts(bins, 0);
  const double width = (hi - lo) / bins;
  for (double v : x) {
    int b = width > 0 ? static_cast<int>(std::floor((v - lo) / width)) : 0;
    counts[std::clamp(b, 0, bins - 1)] += 1;
  }
  return counts;
}

const SettingsTable& neurons_settings() {
  static const SettingsTable table =
      item_selection_settings() +
      SettingsTable{mlp_activation_setting(),
                    per_model_integer_setting("top_per_layer", nullptr, 1, 1 << 20,
                                              "neurons per layer, by |d| (default 10, or d_mlp when smaller; at most d_mlp)"),
                    integer_setting("bins", 20, 2, 200, "histogram bins"),
                    number_setting("alpha", 1e-4, 0.0, 1.0, "a neuron is labelled when p_bonferroni ≤ alpha and |d| > d"),
                    number_setting("d", 1.0, 0.0, 100.0, "the smallest |Cohen's d| of a labelled neuron")};
  return table;
}

namespace {

const std::vector<double> kQuantiles = {0.05, 0.25, 0.5, 0.75, 0.95};

struct Settings {
  ItemSelection items;
  MlpActivation mlp = MlpActivation::Gate;
  int top_per_layer = 10;
  int bins = 20;
  double alpha = 1e-4, d = 1.0;
  json echo;  // every setting with the value used
};

Settings read_settings(const json& settings, int d_mlp) {
  SettingsReader r(settings, "neurons", neurons_settings());
  Settings s;
  s.items = read_item_selection(r);
  s.mlp = read_mlp_activation(r);
  s.top_per_layer = r.get_int("top_per_layer", std::min(10, d_mlp), 1, d_mlp);
  s.bins = r.get_int("bins");
  s.alpha = r.get_double("alpha");
  s.d = r.get_double("d");
  r.finish();
  s.echo = r.echo();
  return s;
}

json distribution(const std::vector<double>& x, double lo, double hi, int bins) {
  json q = json::array();
  for (double level : kQuantiles) q.push_back(percentile(x, level));
  const double firing = static_cast<double>(std::count_if(x.begin(), x.end(), [](double v) { return v > 0; }));
  return {{"counts", histogram_counts(x, lo, hi, bins)}, {"quantiles", q}, {"firing", firing / x.size()}};
}

json neuron_json(const std::vector<double>& column, const std::vector<ItemGroup>& groups, const GroupComparison& c,
                 double p_bonferroni, const Settings& s) {
  json j = comparison_json(c);
  j["p_bonferroni"] = p_bonferroni;
  const bool labelled = std::abs(c.d) > s.d && p_bonferroni <= s.alpha && !std::isnan(c.d);
  j["label"] = !labelled ? "none" : c.d > 0 ? "reasoning" : "recall";
  const auto [lo_it, hi_it] = std::minmax_element(column.begin(), column.end());
  const double lo = *lo_it, hi = *hi_it;
  json edges = json::array();
  for (int b = 0; b <= s.bins; ++b) edges.push_back(lo + (hi - lo) * b / s.bins);
  j["bin_edges"] = edges;
  for (ItemGroup g : {ItemGroup::Recall, ItemGroup::Reasoning, ItemGroup::Mixed}) {
    std::vector<double> x;
    for (size_t i = 0; i < column.size(); ++i)
      if (groups[i] == g) x.push_back(column[i]);
    if (!x.empty()) j[group_name(g)] = distribution(x, lo, hi, s.bins);
  }
  return j;
}

}  // namespace

json run_neurons(const AnalysisRequest& request) {
  const ModelConfig& config = request.session.model().config;
  const Settings s = read_settings(request.settings, config.d_mlp);
  const Suite& suite = request.require_suite("neurons");
  request.report(0.0, "selecting items");
  const StudyItems items = select_study_items(request.session, suite, s.items, request.seed, "neurons");
  FeatureRequest what;
  what.layers = what.heads = false;
  what.mlp = s.mlp;
  const StudyFeatures f = extract_study_features(request, items, what, 0.0, 0.7);

  const double m = static_cast<double>(f.n_layers) * f.d_mlp;  // Bonferroni over every neuron
  json layers = json::array();
  for (int l = 0; l < f.n_layers; ++l) {
    request.report(0.7 + 0.3 * l / f.n_layers, "neurons L" + std::to_string(l));
    std::vector<GroupComparison> cmp(f.d_mlp);
    std::vector<std::vector<double>> columns(f.d_mlp);
    int recall = 0, reasoning = 0;
    for (int k = 0; k < f.d_mlp; ++k) {
      columns[k].resize(items.items.size());
      for (size_t i = 0; i < items.items.size(); ++i) columns[k][i] = f.neurons[l](i, k);
      cmp[k] = compare_groups(columns[k], items.groups);
      const double pb = std::min(1.0, cmp[k].p * m);
      if (std::abs(cmp[k].d) > s.d && pb <= s.alpha && !std::isnan(cmp[k].d)) (cmp[k].d > 0 ? reasoning : recall) += 1;
    }
    std::vector<int> order(f.d_mlp);
    for (int k = 0; k < f.d_mlp; ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return std::abs(cmp[a].d) > std::abs(cmp[b].d); });
    json neurons = json::array();
    for (int r = 0; r < s.top_per_layer; ++r) {
      const int k = order[r];
      json j = neuron_json(columns[k], items.groups, cmp[k], std::min(1.0, cmp[k].p * m), s);
      j["neuron"] = k;
      neurons.push_back(j);
    }
    layers.push_back({{"layer", l}, {"recall", recall}, {"reasoning", reasoning}, {"neurons", neurons}});
  }
  request.report(1.0, "done");
  return {{"items", describe_items(items, s.items)},
          {"mlp_activation", mlp_activation_source(config, s.mlp)},
          {"quantile_levels", kQuantiles},
          {"settings", s.echo},
          {"layers", layers}};
}

}  // namespace strata
