// The forward pass with hook points.
//
// run() embeds the tokens, runs every block and unembeds, visiting each hook
// point on the way: interventions registered for that hook are applied in
// order, then the activation is copied into the cache if it was asked for. A
// hook nobody asked for costs one table look-up.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/hooks.h"
#include "model/intervention.h"
#include "model/model.h"
#include "tensor/tensor.h"

namespace strata {

struct RunOptions {
  std::vector<HookId> capture;  // hooks to copy into the cache
  bool capture_all = false;
  std::vector<Intervention> interventions;
  // Resume from a cached residual stream: skip the embedding and blocks
  // [0, start_layer) and start from `resid_pre` ([pos, d_model], the input of
  // block start_layer). Used by sweeps that patch at layer l and reuse a clean
  // run below l.
  int start_layer = 0;
  const Mat* resid_pre = nullptr;
  // Unembed the last position only (logits is then (1, d_vocab)): what the
  // sweeps and exact-match evaluation read. Hooks still see every position.
  bool last_logits_only = false;
};

struct ActivationCache {
  std::map<std::string, Tensor> tensors;  // by hook name
  const Tensor* find(HookId id) const;
  const Tensor& at(HookId id) const;  // throws naming the hook if it was not captured
};

struct RunResult {
  Mat logits;  // (pos, d_vocab)
  ActivationCache cache;
};

// The longest prompt a run takes: the model's context, at most 2048 tokens.
int64_t max_prompt_tokens(const ModelConfig& config);

// Every logit of a run is finite or the run is an error: one naming the
// intervention that made it non-finite (the first whose prefix of the list
// does), or saying that the forward pass overflowed float.
RunResult run(const Model& model, const std::vector<int32_t>& tokens, const RunOptions& options = {});

}  // namespace strata
