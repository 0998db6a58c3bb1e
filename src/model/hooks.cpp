// The hook table: the one place hook names are spelled.
#include "model/hooks.h"

#include <cstdlib>

namespace strata {
namespace {

enum FamilyMask : uint8_t { kGpt2 = 1, kLlama = 2, kBoth = 3 };

struct HookSpec {
  HookKind kind;
  const char* suffix;  // after "blocks.{l}." for block hooks; the whole name otherwise
  bool in_block;
  HookShape shape;
  uint8_t families;
};

// In forward order. HookKind values index this table.
constexpr HookSpec kHooks[] = {
    {HookKind::Embed, "hook_embed", false, HookShape::Residual, kBoth},
    {HookKind::PosEmbed, "hook_pos_embed", false, HookShape::Residual, kGpt2},
    {HookKind::ResidPre, "hook_resid_pre", true, HookShape::Residual, kBoth},
    {HookKind::Ln1Normalized, "ln1.hook_normalized", true, HookShape::Residual, kBoth},
    {HookKind::Q, "attn.hook_q", true, HookShape::Heads, kBoth},
    {HookKind::K, "attn.hook_k", true, HookShape::KvHeads, kBoth},
    {HookKind::V, "attn.hook_v", true, HookShape::KvHeads, kBoth},
    {HookKind::RotQ, "attn.hook_rot_q", true, HookShape::Heads, kLlama},
    {HookKind::RotK, "attn.hook_rot_k", true, HookShape::KvHeads, kLlama},
    {HookKind::AttnScores, "attn.hook_attn_scores", true, HookShape::Pattern, kBoth},
    {HookKind::Pattern, "attn.hook_pattern", true, HookShape::Pattern, kBoth},
    {HookKind::Z, "attn.hook_z", true, HookShape::Heads, kBoth},
    {HookKind::AttnOut, "hook_attn_out", true, HookShape::Residual, kBoth},
    {HookKind::ResidMid, "hook_resid_mid", true, HookShape::Residual, kBoth},
    {HookKind::Ln2Normalized, "ln2.hook_normalized", true, HookShape::Residual, kBoth},
    {HookKind::MlpPre, "mlp.hook_pre", true, HookShape::Mlp, kBoth},
    {HookKind::MlpPreLinear, "mlp.hook_pre_linear", true, HookShape::Mlp, kLlama},
    {HookKind::MlpPost, "mlp.hook_post", true, HookShape::Mlp, kBoth},
    {HookKind::MlpOut, "hook_mlp_out", true, HookShape::Residual, kBoth},
    {HookKind::ResidPost, "hook_resid_post", true, HookShape::Residual, kBoth},
    {HookKind::LnFinalNormalized, "ln_final.hook_normalized", false, HookShape::Residual, kBoth},
};
static_assert(sizeof(kHooks) / sizeof(kHooks[0]) == static_cast<size_t>(HookKind::Count),
              "every HookKind has one row in the table");

const HookSpec& spec(HookKind kind) { return kHooks[static_cast<size_t>(kind)]; }

uint8_t family_bit(Family family) { return family == Family::Gpt2 ? kGpt2 : kLlama; }

constexpr int kGlobalHooksBefore = 2;  // hook_embed, hook_pos_embed come before the blocks
constexpr int kBlockHooks = static_cast<int>(HookKind::ResidPost) - static_cast<int>(HookKind::ResidPre) + 1;

}  // namespace

bool hook_in_block(HookKind kind) { return spec(kind).in_block; }
HookShape hook_shape(HookKind kind) { return spec(kind).shape; }
bool hook_exists(HookKind kind, Family family) { return (spec(kind).families & family_bit(family)) != 0; }

std::string hook_name(HookId id) {
  const HookSpec& s = spec(id.kind);
  if (!s.in_block) return s.suffix;
  return "blocks." + std::to_string(id.layer) + "." + s.suffix;
}

std::optional<HookId> parse_hook_name(const std::string& name, const ModelConfig& config) {
  int layer = -1;
  std::string suffix = name;
  const std::string prefix = "blocks.";
  if (name.compare(0, prefix.size(), prefix) == 0) {
    const size_t dot = name.find('.', prefix.size());
    if (dot == std::string::npos || dot == prefix.size() || dot - prefix.size() > 4) return std::nullopt;
    const std::string digits = name.substr(prefix.size(), dot - prefix.size());
    for (char c : digits)
      if (c < '0' || c > '9') return std::nullopt;
    if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
    layer = std::atoi(digits.c_str());
    if (layer >= config.n_layers) return std::nullopt;
    suffix = name.substr(dot + 1);
  }
  for (const HookSpec& s : kHooks) {
    if (suffix != s.suffix || s.in_block != (layer >= 0)) continue;
    if (!hook_exists(s.kind, config.family)) return std::nullopt;
    return HookId{s.kind, layer};
  }
  return std::nullopt;
}

std::vector<HookId> all_hooks(const ModelConfig& config) {
  std::vector<HookId> hooks;
  for (const HookSpec& s : kHooks) {
    if (!hook_exists(s.kind, config.family)) continue;
    if (!s.in_block) {
      hooks.push_back({s.kind, -1});
      continue;
    }
  }
  // Block hooks go layer by layer, between the embedding hooks and ln_final.
  std::vector<HookId> ordered;
  for (const HookId& h : hooks)
    if (h.kind != HookKind::LnFinalNormalized) ordered.push_back(h);
  for (int l = 0; l < config.n_layers; ++l)
    for (const HookSpec& s : kHooks)
      if (s.in_block && hook_exists(s.kind, config.family)) ordered.push_back({s.kind, l});
  ordered.push_back({HookKind::LnFinalNormalized, -1});
  return ordered;
}

std::vector<int64_t> hook_tensor_shape(HookKind kind, const ModelConfig& c, int64_t n_pos) {
  switch (hook_shape(kind)) {
    case HookShape::Residual: return {n_pos, c.d_model};
    case HookShape::Heads: return {n_pos, c.n_heads, c.d_head};
    case HookShape::KvHeads: return {n_pos, c.n_kv_heads, c.d_head};
    case HookShape::Pattern: return {c.n_heads, n_pos, n_pos};
    case HookShape::Mlp: return {n_pos, c.d_mlp};
  }
  return {};
}

int hook_count(const ModelConfig& config) { return kGlobalHooksBefore + config.n_layers * kBlockHooks + 1; }

int hook_index(HookId id, const ModelConfig& config) {
  const int k = static_cast<int>(id.kind);
  if (!hook_in_block(id.kind))
    return id.kind == HookKind::LnFinalNormalized ? hook_count(config) - 1 : k;
  return kGlobalHooksBefore + id.layer * kBlockHooks + (k - static_cast<int>(HookKind::ResidPre));
}

}  // namespace strata
