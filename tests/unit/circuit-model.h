// Hand-set models and suites for the circuits analysis, built on
// sweep-model.h (read it first: vocabulary, residual dims, the recall MLP 0
// and the copying head L1H0).
//
//   circuit_suite       24 recall items ("X Y . e_i" → a_π(i), X, Y ∈ {r, .},
//                       trained) and 24 reasoning items ("s_i X Y ?" → s_i,
//                       held-out): enough for selection, validation, test and
//                       null sets. With sweep_model() the families separate by
//                       construction: MLP 0 recalls, L1H0 copies.
//   shared_circuit_suite  recall answered by copying ("a_i X Y ?" → a_i), for
//                       sweep_model(true), whose one head L1H0 serves both.
//   backup_model        recall has a backup: MLP 1's neurons 0..5 fire on e_i
//                       only when MLP 0 has not written e_i's private code
//                       (MLP 0 ablated), and write the attribute; a decoy, L1H1, adds a
//                       little of the attribute. Alone, MLP 0 and MLP 1 hardly
//                       matter for recall and the decoy matters most, so a
//                       greedy search starts with the decoy; the best pair is
//                       {L0 mlp, L1 mlp}.
//   random_model        the sweep model's shapes with seeded Gaussian weights.
#pragma once

#include "base/seeded-random.h"
#include "sweep-model.h"

namespace strata::testing {

inline const char* kFillers[4][2] = {{"r", "."}, {"r", "r"}, {".", "."}, {".", "r"}};

inline Suite circuit_suite() {
  nlohmann::json items = nlohmann::json::array();
  int n = 0;
  for (int v = 0; v < 4; ++v)
    for (int i = 0; i < 6; ++i, ++n) {
      const int j = (i + 1) % 6;
      const std::string x = kFillers[v][0], y = kFillers[v][1];
      const std::string e = "e" + std::to_string(i), ej = "e" + std::to_string(j);
      items.push_back(sweep_item("fact", "recall", "trained", n, x + " " + y + " . " + e,
                                 "a" + std::to_string(sweep_attribute_of(i)), x + " " + y + " . " + ej,
                                 "a" + std::to_string(sweep_attribute_of(j)), {{"subject_positions", {3}}}));
      const std::string s = "s" + std::to_string(i), sj = "s" + std::to_string(j);
      items.push_back(sweep_item("copy", "reasoning", "heldout", n, s + " " + x + " " + y + " ?", s,
                                 sj + " " + x + " " + y + " ?", sj, nlohmann::json::object()));
    }
  const nlohmann::json suite = {{"format", "strata-suite"}, {"version", 1}, {"model", "sweep-model"}, {"items", items}};
  return parse_suite(suite.dump(), "circuit suite");
}

inline Suite shared_circuit_suite() {
  nlohmann::json items = nlohmann::json::array();
  int n = 0;
  for (int v = 0; v < 4; ++v)
    for (int i = 0; i < 6; ++i, ++n) {
      const int j = (i + 1) % 6;
      const std::string x = kFillers[v][0], y = kFillers[v][1];
      const std::string a = "a" + std::to_string(i), aj = "a" + std::to_string(j);
      items.push_back(sweep_item("fact", "recall", "trained", n, a + " " + x + " " + y + " ?", a,
                                 aj + " " + x + " " + y + " ?", aj, {{"subject_positions", {0}}}));
      const std::string s = "s" + std::to_string(i), sj = "s" + std::to_string(j);
      items.push_back(sweep_item("copy", "reasoning", "heldout", n, s + " " + x + " " + y + " ?", s,
                                 sj + " " + x + " " + y + " ?", sj, nlohmann::json::object()));
    }
  const nlohmann::json suite = {{"format", "strata-suite"}, {"version", 1}, {"model", "sweep-model"}, {"items", items}};
  return parse_suite(suite.dump(), "shared circuit suite");
}

inline Model backup_model() {
  Model m = sweep_model();
  LayerWeights& L0 = m.weights.layers[0];
  LayerWeights& L1 = m.weights.layers[1];
  L1.W_in.f32().setZero();  // MLP 1 was junk: it now holds only the backup
  L1.b_in.setZero();
  L1.W_out.f32().setZero();
  for (int i = 0; i < 6; ++i) {
    const int attribute = 10 + sweep_attribute_of(i), code = 30 + sweep_attribute_of(i);
    L0.W_out.f32()(i, code) = 4;       // MLP 0 also writes a private code of the attribute
    L1.W_in.f32()(4 + i, i) = 8;       // MLP 1 neuron i fires on e_i ...
    L1.W_in.f32()(code, i) = -1;       // ... unless the code is there
    L1.b_in[i] = -2;
    L1.W_out.f32()(i, attribute) = 30;
    L1.W_O.f32()(24 + 4 + i, attribute) = 12;  // the decoy: L1H1's value of e_i adds some attribute
  }
  return m;
}

inline Model random_model(uint64_t seed) {
  Model m = sweep_model();
  SeededRandom rng(seed);
  auto fill = [&](auto& x, float scale) {
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = scale * static_cast<float>(rng.normal());
  };
  fill(m.weights.W_E.f32(), 1.0f);
  fill(m.weights.W_pos.f32(), 0.5f);
  for (LayerWeights& L : m.weights.layers) {
    for (Mat* w : {&L.W_Q.f32(), &L.W_K.f32(), &L.W_V.f32(), &L.W_O.f32(), &L.W_in.f32(), &L.W_out.f32()}) fill(*w, 0.3f);
    for (RowVec* b : {&L.b_Q, &L.b_K, &L.b_V, &L.b_O, &L.b_in, &L.b_out}) fill(*b, 0.1f);
  }
  return m;
}

}  // namespace strata::testing
