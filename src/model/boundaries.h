// The residual stream's boundaries, numbered 0..n_layers: boundary b <
// n_layers is the input of block b (blocks.{b}.hook_resid_pre; boundary 0 is
// the embedding), boundary n_layers is the output of the last block
// (blocks.{n_layers-1}.hook_resid_post). Lenses read them, patching and causal
// tracing write them, and sweeps restart runs from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/forward.h"
#include "model/hooks.h"
#include "model/model.h"
#include "tensor/tensor.h"

namespace strata {

// Refuses a boundary outside [0, n_layers].
HookId boundary_hook(const ModelConfig& config, int boundary);
std::vector<HookId> boundary_hooks(const ModelConfig& config);
std::vector<std::string> boundary_hook_names(const ModelConfig& config);

// The residual stream of one run at every boundary.
struct Boundaries {
  std::vector<Mat> resid;  // n_layers + 1 of (pos, d_model)
};
Boundaries boundaries_from(const ActivationCache& cache, const ModelConfig& config);

// One run of `tokens` that keeps every boundary.
std::vector<Mat> residual_boundaries(const Model& model, const std::vector<int32_t>& tokens);

}  // namespace strata
