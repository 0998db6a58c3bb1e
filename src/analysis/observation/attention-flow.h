// Attention rollout and attention flow (Abnar & Zuidema 2020): how much each
// input token can reach a position through the stack of attention layers,
// with the residual connection counted as attention to oneself.
// What it can and cannot show: docs/methods.md, "Attention rollout and attention flow".
//
//   Â_l = rownorm(mean_heads(A_l) + I)                (pos, pos), rows sum to 1
//   rollout:  R_0 = Â_0,  R_l = Â_l · R_{l−1}         R_{n_layers−1}[p, j]: input j's share in output p
//   flow:     nodes (boundary b, token i) for b = 0..n_layers; an edge
//             (b+1, i) → (b, j) of capacity Â_b[i, j]; the value of a max-flow
//             from the output node (layer, p) to the input node (0, j), for
//             every j, then the row normalised to sum 1.
//
// Max-flow is Boost.Graph's push_relabel_max_flow on integer capacities
// (Â scaled by 2^32 and rounded): exact and the same on every platform.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "model/model.h"
#include "tensor/tensor.h"

namespace strata {

// Â_l for every layer of a run over `tokens`.
std::vector<Mat> residual_attention(const Model& model, const std::vector<int32_t>& tokens);
// Â from one layer's pattern tensor [n_heads, pos, pos].
Mat residual_attention_from_pattern(const Tensor& pattern);

struct AttentionRollout {
  std::vector<Mat> rollout;  // R_l for l = 0..n_layers-1, each (pos, pos)
};

AttentionRollout attention_rollout(const Model& model, const std::vector<int32_t>& tokens);
AttentionRollout rollout_from_residual_attention(const std::vector<Mat>& residual_attention);

struct AttentionFlowSettings {
  int layer = -1;              // the boundary the output nodes sit on, 1..n_layers; -1: n_layers
  std::vector<int> positions;  // output positions; empty: every position
};

struct AttentionFlow {
  int layer = 0;
  std::vector<int> positions;
  Mat flow;  // (positions, pos): row r is positions[r]'s normalised flow to every input token
  Mat raw;   // the same before normalising: max-flow values
};

AttentionFlow attention_flow(const Model& model, const std::vector<int32_t>& tokens,
                             const AttentionFlowSettings& settings = {});
AttentionFlow flow_from_residual_attention(const std::vector<Mat>& residual_attention,
                                           const AttentionFlowSettings& settings);

nlohmann::json to_json(const AttentionRollout& rollout);
nlohmann::json to_json(const AttentionFlow& flow);

}  // namespace strata
