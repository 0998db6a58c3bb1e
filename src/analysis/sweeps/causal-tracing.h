// Causal tracing (Meng et al. 2022, "Locating and Editing Factual
// Associations in GPT"): corrupt the subject, then restore one clean state at
// a time and see how much of the answer's probability comes back.
// What it can and cannot show: docs/methods.md, "Causal tracing".
//
// For every traced item (its meta.subject_positions name the subject's tokens):
//   clean run       p_clean   = P(answer) at the last position
//   corrupted run   the token embeddings (hook_embed) at the subject positions
//                   get Gaussian noise of std ν = noise × σ, where σ is the
//                   standard deviation of all coordinates of those subject
//                   embeddings over the traced items (noise = 3 as in the
//                   paper); p_corrupt = P(answer)
//   restored run    the corrupted run with one clean state copied back;
//                   indirect effect IE = p_restored − p_corrupt
// Each item gets `samples` noise draws (SeededRandom(derived_seed(seed, 2)),
// items in order, then samples, subject positions, coordinates); its IE is
// the mean over them. The draws do not depend on the shard.
//
// States restored (levels; units in this order, outer index first):
//   resid  boundary b × position p (blocks.{b}.hook_resid_pre, b = n_layers:
//          the last block's hook_resid_post)
//   mlp    the MLP outputs (hook_mlp_out) of a window of `window` layers
//          centred on layer l (clipped to the model) at position p
//   attn   the same for the attention outputs (hook_attn_out)
// With reuse_cache (default) a restoring run resumes from the corrupted run's
// cached residual at the lowest restored block, and a restoration that would
// write the values already there (any state before the first subject token:
// attention is causal, the noise cannot reach it) is not run at all, its IE
// being exactly 0. reuse_cache false runs everything from the embedding and
// gives the same numbers.
//
// Settings: causal_tracing_settings() (below; docs/settings.md lists them);
// `kinds` defaults to the recall kinds that are not optional. Over
// budget_seconds, fewer items (sweep-budget.h: the result then has "budget",
// the echo the items used).
//
// Result (objects have sorted keys):
//   {"settings": {...as read, "shard": [i, n]},
//    "items": {"kinds": [{"kind", "family", "split", "n"}], "families": [...], "n_pos"},
//    "embedding_std": σ, "noise_std": ν,
//    "subject_fraction": [per position: the fraction of items whose subject covers it],
//    "baseline": {"by_kind": {kind: {"n", "p_clean", "p_corrupt"}}, "all": {"n", "p_clean", "p_corrupt"}},
//    "n_units": total units of the unsharded sweep,
//    "units": [{"unit": i, "level": "resid", "boundary": b | "layer": l, "layers": [window layers],
//               "position": p, "hooks": [...], "label": "resid 2 @14",
//               "indirect_effect": {"by_kind": {kind: mean IE}, "all": mean IE},
//               "restored_prob": {"by_kind": {kind: mean p_restored}, "all": ...}}, ...]}
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/sweeps/sweep.h"

namespace strata {

struct TraceSite {
  std::string level;  // resid | mlp | attn
  int layer = 0;      // the boundary (resid) or the window's centre
  int position = 0;
  std::vector<HookId> hooks;  // what is restored, at `position`
  std::string label;

  // {"level", "position", "label", "hooks", "boundary" (resid) or "layer" and "layers"}
  nlohmann::json to_json() const;
};

std::vector<TraceSite> trace_sites(const ModelConfig& config, int64_t n_pos, const std::vector<std::string>& levels,
                                   int window);

const SettingsTable& causal_tracing_settings();
nlohmann::json run_causal_tracing(const AnalysisRequest& request);

}  // namespace strata
