#include "model/boundaries.h"

#include "base/error.h"

namespace strata {

HookId boundary_hook(const ModelConfig& config, int boundary) {
  if (boundary < 0 || boundary > config.n_layers)
    fail_expected("boundary", "[0, " + std::to_string(config.n_layers) + "]", std::to_string(boundary));
  if (boundary < config.n_layers) return {HookKind::ResidPre, boundary};
  return {HookKind::ResidPost, config.n_layers - 1};
}

std::vector<HookId> boundary_hooks(const ModelConfig& config) {
  std::vector<HookId> hooks;
  for (int b = 0; b <= config.n_layers; ++b) hooks.push_back(boundary_hook(config, b));
  return hooks;
}

std::vector<std::string> boundary_hook_names(const ModelConfig& config) {
  std::vector<std::string> names;
  for (const HookId& h : boundary_hooks(config)) names.push_back(hook_name(h));
  return names;
}

Boundaries boundaries_from(const ActivationCache& cache, const ModelConfig& config) {
  Boundaries b;
  for (const HookId& h : boundary_hooks(config)) {
    const Tensor& t = cache.at(h);
    b.resid.push_back(matrix_of(t, t.shape[0], t.shape[1]));
  }
  return b;
}

std::vector<Mat> residual_boundaries(const Model& model, const std::vector<int32_t>& tokens) {
  RunOptions options;
  options.capture = boundary_hooks(model.config);
  return boundaries_from(run(model, tokens, options).cache, model.config).resid;
}

}  // namespace strata
