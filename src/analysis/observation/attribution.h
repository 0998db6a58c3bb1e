// Direct logit attribution: how much each component's output, added to the
// residual stream, pushes the answer logit (and the answer-minus-foil logit
// difference) at one position, read directly through the final norm and W_U.
// What it can and cannot show: docs/methods.md, "Direct logit attribution".
//
// The final residual at position p is exactly the sum of
//   embed (token embedding), pos_embed (gpt2), for every layer: each head's
//   z_h · W_O[rows of h], the attention output bias b_O (its own component),
//   and the MLP output (its bias b_out included).
// The final norm is linearised with the scale s of the full final residual:
//   RMSNorm:   contribution(c) = (c / s ⊙ w) · u
//   LayerNorm: contribution(c) = ((c − mean(c)) / s ⊙ w) · u,  plus b_f · u once
// where u is W_U's row of the answer (or answer − foil). Centring is linear,
// so with that one scale the components sum exactly to the model's logit
// (difference): RMSNorm has nothing else; LayerNorm adds the final norm's
// bias term, reported as its own component (final_norm_bias).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"

namespace strata {

enum class ComponentKind { Embed, PosEmbed, Head, AttnBias, Mlp, FinalNormBias };

const char* component_kind_name(ComponentKind kind);

struct Component {
  ComponentKind kind = ComponentKind::Embed;
  int layer = -1;  // -1 outside the blocks
  int head = -1;   // Head only
  std::string label;        // "embed", "L3H1", "L3 attn bias", "L3 mlp", ...
  double logit = 0;         // contribution to the answer logit
  double logit_diff = 0;    // contribution to answer − foil (0 without a foil)
};

struct AttributionSettings {
  int position = -1;              // -1: the last position
  int32_t answer = 0;
  std::optional<int32_t> foil;
};

struct LogitAttribution {
  int position = 0;
  int32_t answer = 0;
  std::optional<int32_t> foil;
  double final_scale = 0;            // s: the final norm's scale on the full residual
  std::vector<Component> components;  // embeddings, then per layer: heads, attn bias, mlp; then final_norm_bias
  double sum_logit = 0, sum_logit_diff = 0;      // Σ components
  double model_logit = 0, model_logit_diff = 0;  // from the model's own logits
};

LogitAttribution direct_logit_attribution(const Model& model, const std::vector<int32_t>& tokens,
                                          const AttributionSettings& settings);

nlohmann::json to_json(const LogitAttribution& result);

}  // namespace strata
