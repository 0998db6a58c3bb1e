// Small random-weight models built in memory, for tests that need a model but
// not its files: deterministic for a given seed.
#pragma once

#include <random>

#include "model/model.h"

namespace strata::testing {

inline ModelConfig tiny_config(Family family) {
  ModelConfig c;
  c.family = family;
  c.model_type = family == Family::Gpt2 ? "gpt2" : "llama";
  c.n_layers = 2;
  c.d_model = 16;
  c.n_heads = 4;
  c.n_kv_heads = family == Family::Gpt2 ? 4 : 2;
  c.d_head = 4;
  c.d_mlp = 32;
  c.d_vocab = 20;
  c.n_ctx = 16;
  c.tied_embeddings = family == Family::Gpt2;
  c.attn_qkv_bias = family == Family::Gpt2;
  c.attn_out_bias = c.mlp_bias = family == Family::Gpt2;
  return c;
}

inline Model tiny_model(Family family, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  auto mat = [&](int64_t r, int64_t c) { return Mat(Mat::NullaryExpr(r, c, [&] { return normal(rng); })); };
  auto vec = [&](int64_t n, float base) { return RowVec(RowVec::NullaryExpr(n, [&] { return base + normal(rng); })); };
  Model m;
  m.config = tiny_config(family);
  const ModelConfig& c = m.config;
  const bool gpt2 = family == Family::Gpt2;
  ModelWeights& w = m.weights;
  w.W_E = mat(c.d_vocab, c.d_model);
  if (gpt2) w.W_pos = mat(c.n_ctx, c.d_model);
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights L;
    L.ln1_w = vec(c.d_model, 1.0f);
    L.ln2_w = vec(c.d_model, 1.0f);
    L.W_Q = mat(c.d_model, c.n_heads * c.d_head);
    L.W_K = mat(c.d_model, c.n_kv_heads * c.d_head);
    L.W_V = mat(c.d_model, c.n_kv_heads * c.d_head);
    L.W_O = mat(c.n_heads * c.d_head, c.d_model);
    L.W_in = mat(c.d_model, c.d_mlp);
    L.W_out = mat(c.d_mlp, c.d_model);
    if (gpt2) {
      L.ln1_b = vec(c.d_model, 0.0f);
      L.ln2_b = vec(c.d_model, 0.0f);
      L.b_Q = vec(c.n_heads * c.d_head, 0.0f);
      L.b_K = vec(c.n_heads * c.d_head, 0.0f);
      L.b_V = vec(c.n_heads * c.d_head, 0.0f);
      L.b_O = vec(c.d_model, 0.0f);
      L.b_in = vec(c.d_mlp, 0.0f);
      L.b_out = vec(c.d_model, 0.0f);
    } else {
      L.W_gate_linear = mat(c.d_model, c.d_mlp);
    }
    w.layers.push_back(L);
  }
  w.ln_f_w = vec(c.d_model, 1.0f);
  if (gpt2) w.ln_f_b = vec(c.d_model, 0.0f);
  else w.W_U = mat(c.d_vocab, c.d_model);
  return m;
}

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

inline std::vector<float> flat(const Mat& m) { return std::vector<float>(m.data(), m.data() + m.size()); }

}  // namespace strata::testing
