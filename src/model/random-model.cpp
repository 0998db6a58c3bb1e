#include "model/random-model.h"

#include <string>
#include <utility>
#include <vector>

#include "base/seeded-random.h"

namespace strata {

Model random_copy(const Model& model, uint64_t seed, double std) {
  PortableRandom rng(seed);
  // A copy of a 16-bit matrix is kept in BF16, so that it takes no more memory than the model.
  auto matrix = [&](const WeightMatrix& like) {
    if (!like.is_f32()) {
      std::vector<uint16_t> bits(static_cast<size_t>(like.size()));
      for (uint16_t& b : bits) b = f32_to_bf16(static_cast<float>(std * rng.normal()));
      return WeightMatrix(Precision::BF16, like.rows(), like.cols(), std::move(bits));
    }
    Mat m(like.rows(), like.cols());
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(std * rng.normal());
    return WeightMatrix(std::move(m));
  };
  auto ones = [](const RowVec& like) { return RowVec(RowVec::Ones(like.size())); };
  auto zeros = [](const RowVec& like) { return RowVec(RowVec::Zero(like.size())); };
  Model out;
  out.config = model.config;
  const ModelWeights& w = model.weights;
  ModelWeights& r = out.weights;
  r.W_E = matrix(w.W_E);
  r.W_pos = matrix(w.W_pos);
  for (const LayerWeights& L : w.layers) {
    LayerWeights R;
    R.ln1_w = ones(L.ln1_w);
    R.ln1_b = zeros(L.ln1_b);
    R.W_Q = matrix(L.W_Q);
    R.W_K = matrix(L.W_K);
    R.W_V = matrix(L.W_V);
    R.b_Q = zeros(L.b_Q);
    R.b_K = zeros(L.b_K);
    R.b_V = zeros(L.b_V);
    R.W_O = matrix(L.W_O);
    R.b_O = zeros(L.b_O);
    R.ln2_w = ones(L.ln2_w);
    R.ln2_b = zeros(L.ln2_b);
    R.W_in = matrix(L.W_in);
    R.W_gate_linear = matrix(L.W_gate_linear);
    R.b_in = zeros(L.b_in);
    R.b_gate_linear = zeros(L.b_gate_linear);
    R.W_out = matrix(L.W_out);
    R.b_out = zeros(L.b_out);
    r.layers.push_back(std::move(R));
  }
  r.ln_f_w = ones(w.ln_f_w);
  r.ln_f_b = zeros(w.ln_f_b);
  r.W_U = matrix(w.W_U);
  out.weights_sha256 = "random:" + std::to_string(seed);
  return out;
}

}  // namespace strata
