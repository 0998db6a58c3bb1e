// Hook points: every named place in the forward pass where an activation can
// be observed or changed, with TransformerLens names.
//
// The table in hooks.cpp is the only place a hook name is spelled. Everything
// else (forward pass, CLI, bindings, analyses) uses HookId and the functions
// below; nobody assembles a hook name by hand.
//
//   hook_embed                     [pos, d_model]
//   hook_pos_embed                 [pos, d_model]        gpt2 only
//   blocks.{l}.hook_resid_pre      [pos, d_model]
//   blocks.{l}.ln1.hook_normalized [pos, d_model]
//   blocks.{l}.attn.hook_q         [pos, n_heads, d_head]
//   blocks.{l}.attn.hook_k|v       [pos, n_kv_heads, d_head]
//   blocks.{l}.attn.hook_rot_q     [pos, n_heads, d_head]     llama family only (after RoPE)
//   blocks.{l}.attn.hook_rot_k     [pos, n_kv_heads, d_head]  llama family only
//   blocks.{l}.attn.hook_attn_scores [n_heads, pos, pos]  scaled, masked (-inf), pre-softmax
//   blocks.{l}.attn.hook_pattern   [n_heads, pos, pos]
//   blocks.{l}.attn.hook_z         [pos, n_heads, d_head]     head outputs before W_O
//   blocks.{l}.hook_attn_out       [pos, d_model]
//   blocks.{l}.hook_resid_mid      [pos, d_model]
//   blocks.{l}.ln2.hook_normalized [pos, d_model]
//   blocks.{l}.mlp.hook_pre        [pos, d_mlp]   pre-activation (the gate, for gated MLPs)
//   blocks.{l}.mlp.hook_pre_linear [pos, d_mlp]   llama family only: the up projection
//   blocks.{l}.mlp.hook_post       [pos, d_mlp]
//   blocks.{l}.hook_mlp_out        [pos, d_model]
//   blocks.{l}.hook_resid_post     [pos, d_model]
//   ln_final.hook_normalized       [pos, d_model]
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/model-config.h"

namespace strata {

enum class HookKind : uint8_t {
  Embed,
  PosEmbed,
  ResidPre,
  Ln1Normalized,
  Q,
  K,
  V,
  RotQ,
  RotK,
  AttnScores,
  Pattern,
  Z,
  AttnOut,
  ResidMid,
  Ln2Normalized,
  MlpPre,
  MlpPreLinear,
  MlpPost,
  MlpOut,
  ResidPost,
  LnFinalNormalized,
  Count
};

// How the axes of a hook's activation are laid out.
enum class HookShape : uint8_t {
  Residual,  // [pos, d_model]
  Heads,     // [pos, n_heads, d_head]
  KvHeads,   // [pos, n_kv_heads, d_head]
  Pattern,   // [n_heads, pos(query), pos(key)]
  Mlp,       // [pos, d_mlp]
};

struct HookId {
  HookKind kind = HookKind::Embed;
  int layer = -1;  // -1 for hooks outside the blocks
  bool operator==(const HookId& o) const { return kind == o.kind && layer == o.layer; }
  bool operator!=(const HookId& o) const { return !(*this == o); }
};

bool hook_in_block(HookKind kind);
HookShape hook_shape(HookKind kind);
bool hook_exists(HookKind kind, Family family);

std::string hook_name(HookId id);
// Parses a full name ("blocks.3.attn.hook_pattern"); nullopt if it is not a
// hook of this model (unknown name, layer out of range, wrong family).
std::optional<HookId> parse_hook_name(const std::string& name, const ModelConfig& config);

// Every hook of a model, in forward order.
std::vector<HookId> all_hooks(const ModelConfig& config);

// The shape a hook's activation has for a run over n_pos tokens.
std::vector<int64_t> hook_tensor_shape(HookKind kind, const ModelConfig& config, int64_t n_pos);

// Dense index of a hook among all hooks of a model: [0, hook_count(config)).
int hook_index(HookId id, const ModelConfig& config);
int hook_count(const ModelConfig& config);

}  // namespace strata
