// A hand-set two-layer GPT-2 and a suite on which the intervention sweeps'
// answers are known by construction.
//
// Vocabulary (22 WordLevel tokens): [UNK] ? r . e0..e5 a0..a5 s0..s5.
// Residual dims: 0..21 token one-hot, 22..29 position one-hot, 30..47 "junk"
// that nothing reads (only the norms' statistics see it). Unembedding tied to
// the one-hot embedding, so the logit of token t is the normed residual's dim t.
//
//   recall    "r . . e_i"  → a_{π(i)}, π(i) = (i + 2) mod 6. MLP 0 neuron i
//             fires on e_i and writes the attribute: the recall path is MLP 0.
//   reasoning "s_i . . ?"  → s_i. Head 0 of layer 1 attends to position 0
//             and copies the symbol: the reasoning path is L1H0.
// Every other component (heads L0H0, L0H1, L1H1, MLP 1, MLP 0's neurons 6..15)
// writes only junk dims or nothing. Without its path an item's argmax is its
// own last token (e_i, or ?), never the answer.
// Corrupt prompts swap the entity (e_i → e_{i+1}) or the symbol (s_i → s_{i+1}),
// one token, at position 3 (recall; meta.subject_positions = [3]) or 0.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <vector>
#include <string>

#include "io/suite.h"
#include "io/tokenizer.h"
#include "model/model.h"
#include "model/session.h"

namespace strata::testing {

inline std::string sweep_token(int id) {
  static const char* fixed[] = {"[UNK]", "?", "r", "."};
  if (id < 4) return fixed[id];
  if (id < 10) return "e" + std::to_string(id - 4);
  if (id < 16) return "a" + std::to_string(id - 10);
  return "s" + std::to_string(id - 16);
}

inline int sweep_attribute_of(int entity) { return (entity + 2) % 6; }

inline Tokenizer sweep_tokenizer() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int t = 0; t < 22; ++t) vocab[sweep_token(t)] = t;
  const nlohmann::json j = {{"version", "1.0"},
                            {"added_tokens", nlohmann::json::array()},
                            {"normalizer", nullptr},
                            {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                            {"model", {{"type", "WordLevel"}, {"unk_token", "[UNK]"}, {"vocab", vocab}}}};
  return Tokenizer::from_json(j.dump(), "sweep tokenizer");
}

// `shared`: head L1H0 also copies attributes (a_i at position 0), for the
// suite in which recall items are answered by copying (shared_suite).
inline Model sweep_model(bool shared = false) {
  Model m;
  ModelConfig& c = m.config;
  c.family = Family::Gpt2;
  c.model_type = "gpt2";
  c.n_layers = 2;
  c.d_model = 48;
  c.n_heads = c.n_kv_heads = 2;
  c.d_head = 24;
  c.d_mlp = 16;
  c.d_vocab = 22;
  c.n_ctx = 8;
  c.tied_embeddings = true;
  c.attn_qkv_bias = c.attn_out_bias = c.mlp_bias = true;
  ModelWeights& w = m.weights;
  w.W_E = Mat::Zero(22, 48);
  for (int t = 0; t < 22; ++t) w.W_E.f32()(t, t) = 1;
  w.W_pos = Mat::Zero(8, 48);
  for (int p = 0; p < 8; ++p) w.W_pos.f32()(p, 22 + p) = 1;
  for (int l = 0; l < 2; ++l) {
    LayerWeights L;
    L.ln1_w = L.ln2_w = RowVec::Ones(48);
    L.ln1_b = L.ln2_b = L.b_O = L.b_out = RowVec::Zero(48);
    L.W_Q = L.W_K = L.W_V = L.W_O = Mat::Zero(48, 48);
    L.b_Q = L.b_K = L.b_V = RowVec::Zero(48);
    L.W_in = Mat::Zero(48, 16);
    L.b_in = RowVec::Zero(16);
    L.W_out = Mat::Zero(16, 48);
    // Junk heads: uniform attention (no queries or keys), token mixtures into junk dims.
    for (int t = 0; t < 22; ++t) {
      L.W_V.f32()(t, 24 + t) = 1;
      L.W_O.f32()(24 + t, 30 + (t * (l == 0 ? 7 : 5)) % 18) = l == 0 ? 0.3f : 0.4f;
    }
    w.layers.push_back(L);
  }
  LayerWeights& L0 = w.layers[0];
  for (int t = 0; t < 22; ++t) {  // L0H0: junk too
    L0.W_V.f32()(t, t) = 1;
    L0.W_O.f32()(t, 30 + t % 18) = 0.5f;
  }
  for (int i = 0; i < 6; ++i) {  // MLP 0: the recall lookup
    L0.W_in.f32()(4 + i, i) = 1;
    L0.b_in[i] = -1.0f;
    L0.W_out.f32()(i, 10 + sweep_attribute_of(i)) = 4;
  }
  LayerWeights& L1 = w.layers[1];
  for (int p = 0; p < 8; ++p) L1.W_Q.f32()(22 + p, 0) = 4;  // every query looks for position 0
  L1.W_K.f32()(22, 0) = 1;
  for (int i = 0; i < 6; ++i) {  // L1H0 copies the symbol at position 0
    L1.W_V.f32()(16 + i, 1 + i) = 1;
    L1.W_O.f32()(1 + i, 16 + i) = 2;
    if (shared) {
      L1.W_V.f32()(10 + i, 7 + i) = 1;
      L1.W_O.f32()(7 + i, 10 + i) = 4;  // stronger: MLP 0's idle neurons push attributes down
    }
  }
  for (int n = 0; n < 16; ++n) {  // MLP 1: junk
    L1.W_in.f32()(n, n) = 1;
    L1.b_in[n] = 0.3f;
    L1.W_out.f32()(n, 30 + n) = 0.5f;
  }
  w.ln_f_w = RowVec::Ones(48);
  w.ln_f_b = RowVec::Zero(48);
  m.tokenizer = sweep_tokenizer();
  return m;
}

inline nlohmann::json sweep_item(const std::string& kind, const std::string& family, const std::string& split, int i,
                                 const std::string& prompt, const std::string& answer, const std::string& corrupt,
                                 const std::string& corrupt_answer, nlohmann::json meta) {
  return {{"id", kind + "-" + std::to_string(i)}, {"kind", kind},       {"family", family},
          {"split", split},                       {"prompt", prompt},   {"answer", answer},
          {"corrupt_prompt", corrupt},            {"corrupt_answer", corrupt_answer}, {"meta", std::move(meta)}};
}

// Six recall items ("fact", trained) and six reasoning items ("copy", heldout).
// `self_corrupt`: each corrupt prompt is its prompt (no difference to patch).
// Held-out recall and trained reasoning items are decoys the default split skips.
inline Suite sweep_suite(bool self_corrupt = false) {
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i < 6; ++i) {
    const int j = (i + 1) % 6;
    const std::string e = "e" + std::to_string(i), ej = "e" + std::to_string(j);
    const std::string a = "a" + std::to_string(sweep_attribute_of(i)), aj = "a" + std::to_string(sweep_attribute_of(j));
    items.push_back(sweep_item("fact", "recall", "trained", i, "r . . " + e, a, "r . . " + (self_corrupt ? e : ej),
                               self_corrupt ? a : aj, {{"subject_positions", {3}}}));
    const std::string s = "s" + std::to_string(i), sj = "s" + std::to_string(j);
    items.push_back(sweep_item("copy", "reasoning", "heldout", i, s + " . . ?", s, (self_corrupt ? s : sj) + " . . ?",
                               self_corrupt ? s : sj, nlohmann::json::object()));
  }
  items.push_back(sweep_item("fact", "recall", "heldout", 9, "r . . e0", "a0", "r . . e1", "a1", {{"subject_positions", {3}}}));
  items.push_back(sweep_item("copy", "reasoning", "trained", 9, "s0 s0 . ?", "s1", "s1 s1 . ?", "s0", nlohmann::json::object()));
  const nlohmann::json suite = {{"format", "strata-suite"}, {"version", 1}, {"model", "sweep-model"}, {"items", items}};
  return parse_suite(suite.dump(), "sweep suite");
}

// Recall items answered by copying position 0 ("a_i . . ?" → a_i): with
// sweep_model(true) one head, L1H0, carries both families.
inline Suite shared_suite() {
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i < 6; ++i) {
    const int j = (i + 1) % 6;
    const std::string a = "a" + std::to_string(i), aj = "a" + std::to_string(j);
    items.push_back(sweep_item("fact", "recall", "trained", i, a + " . . ?", a, aj + " . . ?", aj, {{"subject_positions", {0}}}));
    const std::string s = "s" + std::to_string(i), sj = "s" + std::to_string(j);
    items.push_back(sweep_item("copy", "reasoning", "heldout", i, s + " . . ?", s, sj + " . . ?", sj, nlohmann::json::object()));
  }
  const nlohmann::json suite = {{"format", "strata-suite"}, {"version", 1}, {"model", "sweep-model"}, {"items", items}};
  return parse_suite(suite.dump(), "shared suite");
}

// The units of sharded results, concatenated and sorted by "unit".
inline nlohmann::json merged_units(const std::vector<nlohmann::json>& shards) {
  std::vector<nlohmann::json> units;
  for (const nlohmann::json& s : shards)
    for (const nlohmann::json& u : s["units"]) units.push_back(u);
  std::sort(units.begin(), units.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) { return a["unit"].get<int>() < b["unit"].get<int>(); });
  return units;
}

// A sweep result's items.kinds without each kind's "ids", which are checked to
// be its n distinct items (the rest of the entry is then compared whole).
inline nlohmann::json kinds_without_ids(const nlohmann::json& items) {
  nlohmann::json kinds = items.at("kinds");
  for (nlohmann::json& k : kinds) {
    const std::vector<std::string> ids = k.at("ids");
    if (ids.size() != k.at("n").get<size_t>() || std::set<std::string>(ids.begin(), ids.end()).size() != ids.size())
      throw std::runtime_error("items of kind " + k.at("kind").dump() + ": ids " + k.at("ids").dump() + " are not its n items");
    k.erase("ids");
  }
  return kinds;
}

}  // namespace strata::testing
