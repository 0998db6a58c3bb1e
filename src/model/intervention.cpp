// Validating, applying and (de)serialising interventions.
#include "model/intervention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"
#include "io/tensor-json.h"

namespace strata {
namespace {

// Where the position, head and feature axes sit in a hook's activation.
struct Axes {
  int pos = -1;
  int head = -1;
  int feature = -1;  // the axis `neurons` selects on
};

Axes axes_of(HookShape shape) {
  switch (shape) {
    case HookShape::Residual:
    case HookShape::Mlp: return {0, -1, 1};
    case HookShape::Heads:
    case HookShape::KvHeads: return {0, 1, 2};
    case HookShape::Pattern: return {1, 0, -1};
  }
  return {};
}

std::vector<int64_t> without_axis(const std::vector<int64_t>& shape, int axis) {
  std::vector<int64_t> out;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i)
    if (i != axis) out.push_back(shape[i]);
  return out;
}

// A mask over one axis: empty selection means every index.
std::vector<char> selection_mask(int64_t size, const std::vector<int>& selected) {
  std::vector<char> mask(static_cast<size_t>(size), selected.empty() ? 1 : 0);
  for (int i : selected) mask[static_cast<size_t>(i)] = 1;
  return mask;
}

void check_indices(const std::vector<int>& indices, int64_t size, const std::string& where) {
  for (int i : indices)
    if (i < 0 || i >= size)
      fail_expected(where, "indices in [0, " + std::to_string(size) + ")", std::to_string(i));
}

}  // namespace

const char* intervention_op_name(InterventionOp op) {
  switch (op) {
    case InterventionOp::Zero: return "zero";
    case InterventionOp::Mean: return "mean";
    case InterventionOp::Patch: return "patch";
    case InterventionOp::Scale: return "scale";
  }
  return "?";
}

void validate_intervention(const Intervention& iv, const ModelConfig& config, int64_t n_pos) {
  const std::string where = "intervention on " + hook_name(iv.hook);
  if (!hook_exists(iv.hook.kind, config.family))
    throw Error(where + ": this hook does not exist in a " + config.model_type + " model");
  if (hook_in_block(iv.hook.kind) && (iv.hook.layer < 0 || iv.hook.layer >= config.n_layers))
    fail_expected(where + ": layer", "[0, " + std::to_string(config.n_layers) + ")", std::to_string(iv.hook.layer));
  const std::vector<int64_t> shape = hook_tensor_shape(iv.hook.kind, config, n_pos);
  const Axes axes = axes_of(hook_shape(iv.hook.kind));
  if (iv.head) {
    if (axes.head < 0) throw Error(where + ": head: this hook has no head axis");
    check_indices({*iv.head}, shape[axes.head], where + ": head");
  }
  check_indices(iv.positions, shape[axes.pos], where + ": positions");
  if (!iv.neurons.empty()) {
    if (axes.feature < 0) throw Error(where + ": neurons: this hook has no neuron axis");
    check_indices(iv.neurons, shape[axes.feature], where + ": neurons");
  }
  if (iv.op == InterventionOp::Patch && iv.value.shape != shape)
    fail_expected(where + ": value shape", shape_to_string(shape), shape_to_string(iv.value.shape));
  if (iv.op == InterventionOp::Mean && iv.value.shape != shape && iv.value.shape != without_axis(shape, axes.pos))
    fail_expected(where + ": value shape", shape_to_string(shape) + " or " + shape_to_string(without_axis(shape, axes.pos)),
                  shape_to_string(iv.value.shape));
  if ((iv.op == InterventionOp::Patch || iv.op == InterventionOp::Mean) &&
      static_cast<int64_t>(iv.value.data.size()) != iv.value.numel())
    fail_expected(where + ": value data", std::to_string(iv.value.numel()) + " numbers",
                  std::to_string(iv.value.data.size()));
}

void apply_intervention(const Intervention& iv, float* data, const std::vector<int64_t>& shape) {
  const Axes axes = axes_of(hook_shape(iv.hook.kind));
  const std::vector<char> pos_mask = selection_mask(shape[axes.pos], iv.positions);
  const std::vector<char> head_mask =
      axes.head < 0 ? std::vector<char>() : selection_mask(shape[axes.head], iv.head ? std::vector<int>{*iv.head} : std::vector<int>{});
  const std::vector<char> feature_mask = axes.feature < 0 ? std::vector<char>() : selection_mask(shape[axes.feature], iv.neurons);
  // For a Mean value without the position axis, the value index skips that axis.
  const bool broadcast_pos = iv.op == InterventionOp::Mean && iv.value.shape.size() + 1 == shape.size();
  // The causal mask's -inf in the attention scores is not an activation: scaling it by 0 would
  // give NaN, by -1 +Inf, and zeroing it would let a query attend to later tokens.
  const bool causal_mask = iv.hook.kind == HookKind::AttnScores;

  const int rank = static_cast<int>(shape.size());
  std::vector<int64_t> index(rank, 0);
  const int64_t total = Tensor{shape, {}}.numel();
  for (int64_t flat = 0; flat < total; ++flat) {
    // index <- the multi-index of `flat` (row-major), incrementally.
    if (flat > 0)
      for (int a = rank - 1; a >= 0; --a) {
        if (++index[a] < shape[a]) break;
        index[a] = 0;
      }
    if (!pos_mask[index[axes.pos]]) continue;
    if (axes.head >= 0 && !head_mask[index[axes.head]]) continue;
    if (axes.feature >= 0 && !feature_mask[index[axes.feature]]) continue;
    if (causal_mask && index[2] > index[1]) continue;  // [head, query, key]: the key is in the query's future
    float& x = data[flat];
    switch (iv.op) {
      case InterventionOp::Zero: x = 0.0f; break;
      case InterventionOp::Scale: x *= iv.factor; break;
      case InterventionOp::Patch: x = iv.value.data[flat]; break;
      case InterventionOp::Mean: {
        if (!broadcast_pos) {
          x = iv.value.data[flat];
          break;
        }
        int64_t v = 0;
        for (int a = 0; a < rank; ++a)
          if (a != axes.pos) v = v * shape[a] + index[a];
        x = iv.value.data[v];
        break;
      }
    }
  }
}

namespace {

std::vector<int> int_list(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array()) fail_expected(where, "an array of integers", j.type_name());
  if (j.size() > 65536) fail_expected(where, "at most 65536 indices", std::to_string(j.size()));
  std::vector<int> out;
  for (const auto& v : j) {
    if (!v.is_number_integer()) fail_expected(where, "integers", v.dump());
    const int64_t i = v.get<int64_t>();
    if (i < 0 || i > (1 << 24)) fail_expected(where, "non-negative indices", v.dump());
    out.push_back(static_cast<int>(i));
  }
  return out;
}

InterventionOp op_from_name(const std::string& name, const std::string& where) {
  for (InterventionOp op : {InterventionOp::Zero, InterventionOp::Mean, InterventionOp::Patch, InterventionOp::Scale})
    if (name == intervention_op_name(op)) return op;
  fail_expected(where + ": op", "zero, mean, patch or scale", "\"" + name + "\"");
}

Intervention intervention_from_json(const nlohmann::json& j, const ModelConfig& config, const std::string& where) {
  if (!j.is_object()) fail_expected(where, "an object", j.type_name());
  static const char* kKeys[] = {"hook", "op", "head", "positions", "neurons", "factor", "value"};
  for (const auto& item : j.items())
    if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return item.key() == k; }) == std::end(kKeys))
      throw Error(where + ": unknown field \"" + item.key() + "\"");
  if (!j.contains("hook") || !j["hook"].is_string()) throw Error(where + ": hook: expected a hook name string");
  const std::string name = j["hook"].get<std::string>();
  const auto hook = parse_hook_name(name, config);
  if (!hook) throw Error(where + ": hook: \"" + name + "\" is not a hook of this " + config.model_type + " model");
  Intervention iv;
  iv.hook = *hook;
  if (!j.contains("op") || !j["op"].is_string()) throw Error(where + ": op: expected zero, mean, patch or scale");
  iv.op = op_from_name(j["op"].get<std::string>(), where);
  if (j.contains("head")) {
    if (!j["head"].is_number_integer()) fail_expected(where + ": head", "an integer", j["head"].dump());
    const int64_t h = j["head"].get<int64_t>();
    if (h < 0 || h > 65536) fail_expected(where + ": head", "a head index", j["head"].dump());
    iv.head = static_cast<int>(h);
  }
  if (j.contains("positions")) iv.positions = int_list(j["positions"], where + ": positions");
  if (j.contains("neurons")) iv.neurons = int_list(j["neurons"], where + ": neurons");
  if (iv.op == InterventionOp::Scale) {
    if (!j.contains("factor") || !j["factor"].is_number()) throw Error(where + ": factor: expected a number for op scale");
    const double factor = j["factor"].get<double>();
    if (!(std::abs(factor) <= std::numeric_limits<float>::max()))
      fail_expected(where + ": factor", "a number within float range", j["factor"].dump());
    iv.factor = static_cast<float>(factor);
  }
  if (iv.op == InterventionOp::Mean || iv.op == InterventionOp::Patch) {
    if (!j.contains("value")) throw Error(where + ": value: required for op " + intervention_op_name(iv.op));
    iv.value = tensor_from_json(j["value"], where + ": value");
  }
  return iv;
}

}  // namespace

std::vector<Intervention> interventions_from_json(const nlohmann::json& list, const ModelConfig& config,
                                                  const std::string& label) {
  if (!list.is_array()) fail_expected(label, "an array of interventions", list.type_name());
  if (list.size() > 4096) fail_expected(label, "at most 4096 interventions", std::to_string(list.size()));
  std::vector<Intervention> out;
  for (size_t i = 0; i < list.size(); ++i)
    out.push_back(intervention_from_json(list[i], config, label + ": [" + std::to_string(i) + "]"));
  return out;
}

nlohmann::json intervention_to_json(const Intervention& iv) {
  nlohmann::json j = {{"hook", hook_name(iv.hook)}, {"op", intervention_op_name(iv.op)}};
  if (iv.head) j["head"] = *iv.head;
  if (!iv.positions.empty()) j["positions"] = iv.positions;
  if (!iv.neurons.empty()) j["neurons"] = iv.neurons;
  if (iv.op == InterventionOp::Scale) j["factor"] = iv.factor;
  if (iv.op == InterventionOp::Mean || iv.op == InterventionOp::Patch) j["value"] = tensor_to_json(iv.value);
  return j;
}

}  // namespace strata
