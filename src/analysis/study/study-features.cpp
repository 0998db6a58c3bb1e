// Item selection and the study's per-layer, per-head and per-neuron features
// at the last prompt token.
#include "analysis/study/study-features.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "analysis/shared/statistics.h"
#include "base/error.h"
#include "model/forward.h"
#include "tensor/ops.h"

namespace strata {

// --- items ---------------------------------------------------------------------

const char* group_name(ItemGroup group) {
  switch (group) {
    case ItemGroup::Recall: return "recall";
    case ItemGroup::Reasoning: return "reasoning";
    case ItemGroup::Mixed: return "mixed";
  }
  return "?";
}

size_t StudyItems::count(ItemGroup group) const { return static_cast<size_t>(std::count(groups.begin(), groups.end(), group)); }

namespace {

ItemGroup group_of(const SuiteItem& item) {
  if (item.family == "recall") return ItemGroup::Recall;
  if (item.family == "reasoning") return ItemGroup::Reasoning;
  return ItemGroup::Mixed;
}

}  // namespace

RunResult run_item(const Model& model, const StudyItems& items, size_t i, const RunOptions& options) {
  try {
    return run(model, items.tokens[i], options);
  } catch (const Error& e) {
    throw Error("suite item \"" + items.items[i]->id + "\": " + e.what());
  }
}

StudyItems select_study_items(const Session& session, const Suite& suite, const ItemSelection& selection,
                              uint64_t seed, const std::string& analysis) {
  std::map<std::string, int> kind_index;
  for (const auto& [name, kind] : suite.kinds) kind_index.emplace(name, static_cast<int>(kind_index.size()));
  const SelectedItems selected = select_suite_items(session, suite, selection, seed, analysis);
  StudyItems out;
  out.answered_wrong = selected.answered_wrong;
  std::vector<size_t> chosen;
  for (const SelectedKind& k : selected.kinds) chosen.insert(chosen.end(), k.items.begin(), k.items.end());
  std::sort(chosen.begin(), chosen.end());

  for (size_t i : chosen) {
    const SuiteItem& item = suite.items[i];
    out.items.push_back(&item);
    out.tokens.push_back(session.tokenize(item.prompt));
    if (out.tokens.back().empty()) throw Error(analysis + ": suite item \"" + item.id + "\": prompt has no tokens");
    out.groups.push_back(group_of(item));
    const auto k = kind_index.find(item.kind);
    out.kind_index.push_back(k == kind_index.end() ? 0 : k->second);
  }
  const size_t recall = out.count(ItemGroup::Recall), reasoning = out.count(ItemGroup::Reasoning);
  if (recall < 2 || reasoning < 2)
    fail_expected(analysis + ": items", "at least 2 recall and 2 reasoning items (see kinds, split, items_per_kind)",
                  std::to_string(recall) + " recall and " + std::to_string(reasoning) + " reasoning");
  return out;
}

nlohmann::json describe_items(const StudyItems& items, const ItemSelection& selection) {
  nlohmann::json out = {{"recall", items.count(ItemGroup::Recall)},
                        {"reasoning", items.count(ItemGroup::Reasoning)},
                        {"mixed", items.count(ItemGroup::Mixed)},
                        {"by_kind", nlohmann::json::object()},
                        {"kinds", nlohmann::json::array()},
                        {"prompt_tokens", nlohmann::json::object()}};
  for (size_t i = 0; i < items.items.size(); ++i) {
    nlohmann::json& n = out["by_kind"][items.items[i]->kind];
    n = (n.is_null() ? 0 : n.get<int>()) + 1;
    nlohmann::json& len = out["prompt_tokens"][group_name(items.groups[i])];
    const int t = static_cast<int>(items.tokens[i].size());
    if (len.is_null()) len = {{"min", t}, {"max", t}};
    len["min"] = std::min(len["min"].get<int>(), t);
    len["max"] = std::max(len["max"].get<int>(), t);
  }
  std::map<std::string, std::string> family_of;
  for (const SuiteItem* item : items.items) family_of[item->kind] = item->family;
  for (const auto& [kind, family] : family_of)
    out["kinds"].push_back({{"kind", kind},
                            {"family", family},
                            {"split", split_for_family(selection, family)},
                            {"n", out["by_kind"][kind]}});
  if (!items.answered_wrong.is_null()) out["answered_wrong"] = items.answered_wrong;
  if (selection.keep_answered_wrong) out["answered"] = "all";
  return out;
}

// --- features ------------------------------------------------------------------

Setting mlp_activation_setting() {
  return choice_setting("mlp_activation", "gate", {"gate", "post"},
                        "the MLP activation read: the gated product (gate) or the activation function's output (post)");
}

Setting random_std_setting() {
  return number_setting("random_std", 0.02, 1e-6, 10.0, "the std of the randomly initialised model's weights (model/random-model.h)");
}

MlpActivation read_mlp_activation(SettingsReader& settings) {
  return settings.get_choice("mlp_activation") == "gate" ? MlpActivation::Gate : MlpActivation::Post;
}

namespace {

// Gate activations of a gated MLP are computed from hook_pre; everything else is hook_post.
bool reads_gate(const ModelConfig& config, MlpActivation activation) {
  return activation == MlpActivation::Gate && config.family == Family::Llama;
}

}  // namespace

std::string mlp_activation_source(const ModelConfig& config, MlpActivation activation) {
  if (reads_gate(config, activation)) return "silu(blocks.{l}.mlp.hook_pre)";
  return "blocks.{l}.mlp.hook_post";
}

const std::vector<MetricInfo>& layer_metrics() {
  static const std::vector<MetricInfo> metrics = {
      {"hidden_norm", true},       {"hidden_mean", true},    {"hidden_std", false},
      {"attention_entropy", true}, {"attention_max", false}, {"attention_concentration", false},
      {"mlp_sparsity", true},      {"mlp_mean_abs", true},   {"mlp_variance", false}};
  return metrics;
}

const std::vector<MetricInfo>& head_metrics() {
  static const std::vector<MetricInfo> metrics = {
      {"entropy", true}, {"max_weight", true}, {"self_weight", true}, {"std", true}, {"gini", true}};
  return metrics;
}

double gini_coefficient(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double total = 0.0, weighted = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    total += x[i];
    weighted += (2.0 * static_cast<double>(i + 1) - n - 1.0) * x[i];
  }
  return total > 0.0 ? weighted / (n * total) : 0.0;
}

std::vector<double> attention_row_metrics(const float* row, int n) {
  double entropy = 0.0, max_weight = 0.0, sum = 0.0, sum_sq = 0.0;
  std::vector<double> values(row, row + n);
  for (double p : values) {
    if (p > 0.0) entropy -= p * std::log(p);
    max_weight = std::max(max_weight, p);
    sum += p;
    sum_sq += p * p;
  }
  const double mean = sum / n;
  const double std_dev = std::sqrt(std::max(0.0, sum_sq / n - mean * mean));
  return {entropy, max_weight, values[n - 1], std_dev, gini_coefficient(values)};
}

namespace {

enum LayerMetric { kNorm, kMean, kStd, kEntropy, kMax, kConcentration, kSparsity, kMeanAbs, kVariance };

void resid_features(const Tensor& resid, size_t item, int layer, StudyFeatures& f) {
  const int64_t d = resid.shape[1], last = resid.shape[0] - 1;
  const float* h = resid.data.data() + last * d;
  double sum = 0.0, sum_sq = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    sum += h[k];
    sum_sq += static_cast<double>(h[k]) * h[k];
  }
  const double mean = sum / d;
  f.layer[kNorm][layer][item] = std::sqrt(sum_sq);
  f.layer[kMean][layer][item] = mean;
  f.layer[kStd][layer][item] = std::sqrt(std::max(0.0, sum_sq / d - mean * mean));
}

void pattern_features(const Tensor& pattern, size_t item, int layer, const FeatureRequest& what, StudyFeatures& f) {
  const int64_t heads = pattern.shape[0], n = pattern.shape[1];
  double entropy = 0.0, max_weight = 0.0;
  for (int64_t h = 0; h < heads; ++h) {
    const float* row = pattern.data.data() + (h * n + n - 1) * n;  // the last query's row
    const std::vector<double> m = attention_row_metrics(row, static_cast<int>(n));
    entropy += m[0];
    max_weight += m[1];
    if (what.heads)
      for (size_t k = 0; k < m.size(); ++k) f.head[k][layer * f.n_heads + h][item] = m[k];
  }
  if (!what.layers) return;
  entropy /= heads;
  f.layer[kEntropy][layer][item] = entropy;
  f.layer[kMax][layer][item] = max_weight / heads;
  f.layer[kConcentration][layer][item] = 1.0 / (1.0 + entropy);
}

void mlp_features(const Tensor& mlp, bool apply_silu, size_t item, int layer, const FeatureRequest& what,
                  StudyFeatures& f) {
  const int64_t d = mlp.shape[1], last = mlp.shape[0] - 1;
  Mat a = ConstMatMap(mlp.data.data() + last * d, 1, d);
  if (apply_silu) silu_inplace(a);
  if (what.neurons) f.neurons[layer].row(item) = a;
  if (!what.layers) return;
  double small = 0.0, sum_abs = 0.0, sum = 0.0, sum_sq = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double v = a(0, k);
    if (std::abs(v) < 0.01) small += 1.0;
    sum_abs += std::abs(v);
    sum += v;
    sum_sq += v * v;
  }
  const double mean = sum / d;
  f.layer[kSparsity][layer][item] = small / d;
  f.layer[kMeanAbs][layer][item] = sum_abs / d;
  f.layer[kVariance][layer][item] = std::max(0.0, sum_sq / d - mean * mean);
}

}  // namespace

StudyFeatures extract_study_features(const AnalysisRequest& request, const StudyItems& items,
                                     const FeatureRequest& what, double from, double to, const Model* model) {
  const Model& m = model ? *model : request.session.model();
  const ModelConfig& c = m.config;
  const size_t n_items = items.items.size();
  StudyFeatures f;
  f.n_layers = c.n_layers;
  f.n_heads = c.n_heads;
  f.d_mlp = c.d_mlp;
  if (what.layers)
    f.layer.assign(layer_metrics().size(), std::vector<std::vector<double>>(c.n_layers, std::vector<double>(n_items)));
  if (what.heads)
    f.head.assign(head_metrics().size(),
                  std::vector<std::vector<double>>(c.n_layers * c.n_heads, std::vector<double>(n_items)));
  if (what.neurons) f.neurons.assign(c.n_layers, Mat(n_items, c.d_mlp));

  const bool gate = reads_gate(c, what.mlp);
  const HookKind mlp_hook = gate ? HookKind::MlpPre : HookKind::MlpPost;
  RunOptions options;
  for (int l = 0; l < c.n_layers; ++l) {
    if (what.layers || what.heads) options.capture.push_back({HookKind::Pattern, l});
    if (what.layers) options.capture.push_back({HookKind::ResidPost, l});
    if (what.layers || what.neurons) options.capture.push_back({mlp_hook, l});
  }
  const size_t step = std::max<size_t>(1, n_items / 50);
  for (size_t i = 0; i < n_items; ++i) {
    if (i % step == 0)
      request.report(from + (to - from) * static_cast<double>(i) / n_items,
                     "features " + std::to_string(i) + "/" + std::to_string(n_items));
    const RunResult r = run_item(m, items, i, options);
    for (int l = 0; l < c.n_layers; ++l) {
      if (what.layers || what.heads) pattern_features(r.cache.at({HookKind::Pattern, l}), i, l, what, f);
      if (what.layers) resid_features(r.cache.at({HookKind::ResidPost, l}), i, l, f);
      if (what.layers || what.neurons) mlp_features(r.cache.at({mlp_hook, l}), gate, i, l, what, f);
    }
  }
  request.report(to, "features done");
  return f;
}

}  // namespace strata
