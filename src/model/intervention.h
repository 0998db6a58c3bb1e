// Interventions are data: what to do to which slice of which hook's activation.
//
// The same list drives the C++ API, the CLI (--intervene FILE), the URL and
// reports. JSON form:
//   {"hook": "blocks.1.attn.hook_z", "op": "zero"|"mean"|"patch"|"scale",
//    "head": 2, "positions": [3, 4], "neurons": [0, 17],
//    "factor": 0.5,                                   (scale)
//    "value": {"shape": [...], "data": [...]}}        (mean, patch)
// Selections narrow the slice: `head` picks one head on hooks with a head axis,
// `positions` picks token positions (query positions on attention patterns),
// `neurons` picks indices on the last axis of residual, MLP and head hooks.
// `value` for patch has the hook's full shape; for mean it has the full shape
// or the shape without the position axis (one value for every position).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/hooks.h"
#include "tensor/tensor.h"

namespace strata {

enum class InterventionOp { Zero, Mean, Patch, Scale };

struct Intervention {
  HookId hook;
  InterventionOp op = InterventionOp::Zero;
  std::optional<int> head;
  std::vector<int> positions;  // empty: every position
  std::vector<int> neurons;    // empty: every index of the last axis
  float factor = 1.0f;         // Scale
  Tensor value;                // Mean, Patch
};

const char* intervention_op_name(InterventionOp op);

// Checks the intervention against the model and a run of n_pos tokens: the
// hook exists, the selections are in range and allowed on that hook, and
// `value` has an accepted shape. Throws strata::Error naming the field.
void validate_intervention(const Intervention& iv, const ModelConfig& config, int64_t n_pos);

// Applies it in place to an activation of shape `shape` (the hook's shape for this run).
// On hook_attn_scores the causally masked entries (key after query, -inf) are left as they are.
void apply_intervention(const Intervention& iv, float* data, const std::vector<int64_t>& shape);

// JSON conversion; parsing validates types and names (`label` names the source in errors).
std::vector<Intervention> interventions_from_json(const nlohmann::json& list, const ModelConfig& config,
                                                  const std::string& label);
nlohmann::json intervention_to_json(const Intervention& iv);

}  // namespace strata
