// A hand-set one-layer GPT-2 and a suite on which the study's answers are
// known by construction.
//
// Vocabulary: f0..f4 (fillers, ids 0-4), A (5), M (6, the "magnet"), B (7).
// Embeddings (d_model 8): a filler or A has 0 in dim 0 and a rotation of
// 1..7 in dims 1..7, so every one of them has the same mean and spread; B is
// 2·A (a larger L2 norm and mean, the same LayerNorm output); M has 10 in dim 0.
// Positions embed to zero.
// Attention: head 0's query is its bias (β in its dim 0), its key reads dim
// 0 of the normalised input, so the last token attends almost only to M when
// the prompt holds one (low entropy) and uniformly otherwise (entropy ln 6).
// Head 1 has zero queries and keys: uniform everywhere. Values, outputs and
// the MLP are zero, so every block output is zero and the residual stream is
// the embedding.
// Suite: recall items "fillers with one or two M ... A", reasoning items
// "five fillers ... B", all 6 tokens long; optionally mixed items like recall.
// At the last token, reasoning items therefore have higher hidden norm and
// mean (B = 2·A), higher head-averaged entropy and lower concentration; the
// MLP activations are 0 everywhere.
#pragma once

#include <string>

#include "io/suite.h"
#include "model/session.h"

namespace strata::testing {

inline Tokenizer magnet_tokenizer() {
  const std::string text = R"({"version": "1.0", "added_tokens": [], "normalizer": null,
    "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
    "model": {"type": "WordLevel", "unk_token": "f0",
              "vocab": {"f0": 0, "f1": 1, "f2": 2, "f3": 3, "f4": 4, "A": 5, "M": 6, "B": 7}}})";
  return Tokenizer::from_json(text, "magnet tokenizer.json");
}

inline Model magnet_model() {
  const int d = 8;
  Model m;
  ModelConfig& c = m.config;
  c.family = Family::Gpt2;
  c.model_type = "gpt2";
  c.n_layers = 1;
  c.d_model = d;
  c.n_heads = c.n_kv_heads = 2;
  c.d_head = 4;
  c.d_mlp = 4;
  c.d_vocab = 8;
  c.n_ctx = 16;
  c.tied_embeddings = true;
  c.attn_qkv_bias = c.attn_out_bias = c.mlp_bias = true;
  ModelWeights& w = m.weights;
  w.W_E = Mat::Zero(8, d);
  for (int t = 0; t <= 5; ++t)
    for (int k = 1; k < d; ++k) w.W_E.f32()(t, k) = static_cast<float>(1 + (k - 1 + t) % 7);
  w.W_E.f32().row(7) = 2.0f * w.W_E.f32().row(5);
  w.W_E.f32()(6, 0) = 10.0f;
  for (int k = 1; k < d; ++k) w.W_E.f32()(6, k) = static_cast<float>(k);
  w.W_pos = Mat::Zero(c.n_ctx, d);
  LayerWeights L;
  L.ln1_w = L.ln2_w = RowVec::Ones(d);
  L.ln1_b = L.ln2_b = L.b_O = L.b_out = RowVec::Zero(d);
  L.W_Q = L.W_K = L.W_V = Mat::Zero(d, 8);
  L.b_Q = L.b_K = L.b_V = RowVec::Zero(8);
  L.b_Q(0) = 8.0f;   // head 0's query
  L.W_K.f32()(0, 0) = 1.0f;  // head 0's key: normalised dim 0
  L.W_O = Mat::Zero(8, d);
  L.W_in = Mat::Zero(d, c.d_mlp);
  L.b_in = RowVec::Zero(c.d_mlp);
  L.W_out = Mat::Zero(c.d_mlp, d);
  w.layers.push_back(L);
  w.ln_f_w = RowVec::Ones(d);
  w.ln_f_b = RowVec::Zero(d);
  m.tokenizer = magnet_tokenizer();
  return m;
}

// n items per family (recall "fact", reasoning "logic"), and n_mixed mixed items ("blend").
inline Suite magnet_suite(int n, int n_mixed = 0, bool swap_families = false) {
  Suite s;
  s.model = "magnet";
  const std::string recall = swap_families ? "reasoning" : "recall";
  const std::string reasoning = swap_families ? "recall" : "reasoning";
  s.kinds["fact"] = {recall, false};
  s.kinds["logic"] = {reasoning, false};
  if (n_mixed > 0) s.kinds["blend"] = {"mixed", true};
  auto filler = [](int i, int p) { return "f" + std::to_string((i + 2 * p) % 5); };
  auto magnet_prompt = [&](int i) {
    std::string prompt;
    for (int p = 0; p < 5; ++p) {
      const bool magnet = p == i % 5 || (i % 2 == 1 && p == (i + 2) % 5);
      prompt += (magnet ? std::string("M") : filler(i, p)) + " ";
    }
    return prompt + "A";
  };
  for (int i = 0; i < n; ++i) {
    SuiteItem r;
    r.id = "fact-" + std::to_string(i);
    r.kind = "fact";
    r.family = recall;
    r.split = i % 4 == 0 ? "heldout" : "trained";
    r.prompt = magnet_prompt(i);
    r.answer = i % 2 ? "f1" : "f3";
    s.items.push_back(r);
    SuiteItem q;
    q.id = "logic-" + std::to_string(i);
    q.kind = "logic";
    q.family = reasoning;
    q.split = r.split;
    for (int p = 0; p < 5; ++p) q.prompt += filler(i, p) + " ";
    q.prompt += "B";
    q.answer = i % 2 ? "f2" : "f4";
    s.items.push_back(q);
  }
  for (int i = 0; i < n_mixed; ++i) {
    SuiteItem x;
    x.id = "blend-" + std::to_string(i);
    x.kind = "blend";
    x.family = "mixed";
    x.split = "trained";
    x.prompt = magnet_prompt(i);
    x.answer = "f0";
    s.items.push_back(x);
  }
  return s;
}

}  // namespace strata::testing
