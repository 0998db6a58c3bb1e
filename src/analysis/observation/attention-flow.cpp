// Attention rollout and attention flow from the head-averaged attention
// patterns of a run, the residual connection added as an identity.
#include "analysis/observation/attention-flow.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <cmath>
#include <numeric>

#include "base/error.h"
#include "model/forward.h"
#include "io/tensor-json.h"

namespace strata {

namespace {

// --- the layer × token graph -------------------------------------------------

using FlowTraits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<boost::edge_capacity_t, int64_t,
                    boost::property<boost::edge_residual_capacity_t, int64_t,
                                    boost::property<boost::edge_reverse_t, FlowTraits::edge_descriptor>>>>;

constexpr double kCapacityScale = 4294967296.0;  // 2^32: capacities become exact integers

void add_flow_edge(FlowGraph& g, int from, int to, int64_t capacity) {
  auto capacity_map = boost::get(boost::edge_capacity, g);
  auto reverse_map = boost::get(boost::edge_reverse, g);
  const auto forward = boost::add_edge(from, to, g).first;
  const auto backward = boost::add_edge(to, from, g).first;
  capacity_map[forward] = capacity;
  capacity_map[backward] = 0;
  reverse_map[forward] = backward;
  reverse_map[backward] = forward;
}

// Node (boundary b, token i) is b * n + i; edges (b+1, i) -> (b, j) for b < layer.
FlowGraph build_flow_graph(const std::vector<Mat>& residual_attention, int layer, int n) {
  FlowGraph g((layer + 1) * n);
  for (int b = 0; b < layer; ++b)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const int64_t capacity = std::llround(static_cast<double>(residual_attention[b](i, j)) * kCapacityScale);
        if (capacity > 0) add_flow_edge(g, (b + 1) * n + i, b * n + j, capacity);
      }
  return g;
}

}  // namespace

Mat residual_attention_from_pattern(const Tensor& pattern) {
  if (pattern.shape.size() != 3 || pattern.shape[1] != pattern.shape[2] || pattern.shape[0] < 1)
    fail_expected("attention flow: pattern shape", "[n_heads, pos, pos]", shape_to_string(pattern.shape));
  const int64_t heads = pattern.shape[0], n = pattern.shape[1];
  Mat mean = Mat::Zero(n, n);
  for (int64_t h = 0; h < heads; ++h) mean += Eigen::Map<const Mat>(pattern.data.data() + h * n * n, n, n);
  mean /= static_cast<float>(heads);
  mean += Mat::Identity(n, n);
  for (int64_t i = 0; i < n; ++i) mean.row(i) /= mean.row(i).sum();
  return mean;
}

std::vector<Mat> residual_attention(const Model& model, const std::vector<int32_t>& tokens) {
  RunOptions options;
  for (int l = 0; l < model.config.n_layers; ++l) options.capture.push_back({HookKind::Pattern, l});
  const RunResult r = run(model, tokens, options);
  std::vector<Mat> out;
  for (int l = 0; l < model.config.n_layers; ++l)
    out.push_back(residual_attention_from_pattern(r.cache.at({HookKind::Pattern, l})));
  return out;
}

AttentionRollout rollout_from_residual_attention(const std::vector<Mat>& residual_attention) {
  AttentionRollout result;
  for (const Mat& a : residual_attention)
    result.rollout.push_back(result.rollout.empty() ? a : Mat(a * result.rollout.back()));
  return result;
}

AttentionRollout attention_rollout(const Model& model, const std::vector<int32_t>& tokens) {
  return rollout_from_residual_attention(residual_attention(model, tokens));
}

AttentionFlow flow_from_residual_attention(const std::vector<Mat>& residual_attention,
                                           const AttentionFlowSettings& settings) {
  const int n_layers = static_cast<int>(residual_attention.size());
  if (n_layers == 0) throw Error("attention flow: the model has no layers");
  const int n = static_cast<int>(residual_attention[0].rows());
  AttentionFlow result;
  result.layer = settings.layer < 0 ? n_layers : settings.layer;
  if (result.layer < 1 || result.layer > n_layers)
    fail_expected("attention flow: layer", "[1, " + std::to_string(n_layers) + "]", std::to_string(settings.layer));
  result.positions = settings.positions;
  if (result.positions.empty()) {
    result.positions.resize(n);
    std::iota(result.positions.begin(), result.positions.end(), 0);
  }
  for (int p : result.positions)
    if (p < 0 || p >= n) fail_expected("attention flow: position", "[0, " + std::to_string(n) + ")", std::to_string(p));

  FlowGraph g = build_flow_graph(residual_attention, result.layer, n);
  const int64_t rows = static_cast<int64_t>(result.positions.size());
  result.raw = Mat::Zero(rows, n);
  for (int64_t r = 0; r < rows; ++r) {
    const int source = result.layer * n + result.positions[r];
    for (int j = 0; j < n; ++j)
      result.raw(r, j) = static_cast<float>(static_cast<double>(boost::push_relabel_max_flow(g, source, j)) /
                                            kCapacityScale);
  }
  result.flow = result.raw;
  for (int64_t r = 0; r < rows; ++r) {
    const float sum = result.flow.row(r).sum();
    if (sum > 0) result.flow.row(r) /= sum;
  }
  return result;
}

AttentionFlow attention_flow(const Model& model, const std::vector<int32_t>& tokens,
                             const AttentionFlowSettings& settings) {
  return flow_from_residual_attention(residual_attention(model, tokens), settings);
}

nlohmann::json to_json(const AttentionRollout& rollout) {
  nlohmann::json layers = nlohmann::json::array();
  for (const Mat& r : rollout.rollout) layers.push_back(tensor_to_json(tensor_of(r)));
  return {{"rollout", std::move(layers)}};
}

nlohmann::json to_json(const AttentionFlow& flow) {
  return {{"layer", flow.layer},
          {"positions", flow.positions},
          {"flow", tensor_to_json(tensor_of(flow.flow))},
          {"raw", tensor_to_json(tensor_of(flow.raw))}};
}

}  // namespace strata
