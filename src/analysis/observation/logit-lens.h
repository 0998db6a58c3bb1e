// Logit lens: what the model would predict if the residual stream stopped at
// a layer boundary and went straight to the unembedding.
// What it can and cannot show: docs/methods.md, "Logit lens".
//
//   p_l = softmax(W_U · Norm_final(h_l))
//
// Boundaries are numbered 0..n_layers (model/boundaries.h); the lens of the
// last, the output of the last block, is the model's own output. The final
// norm is applied to h_l with h_l's own statistics (mean and scale of that
// row), never with the ones cached for the last layer.
//
// The building blocks (boundaries, lens logits, KL) are shared with the tuned
// lens (tuned-lens.h), which maps h_l through a fitted affine map first.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/boundaries.h"
#include "model/model.h"
#include "tensor/tensor.h"

namespace strata {

struct LensSettings {
  int top_k = 5;
  std::optional<int32_t> target;  // a token whose probability and rank are reported everywhere
  std::optional<int32_t> foil;    // a second such token (the answer it is compared with)
  std::vector<int> positions;     // token positions to report; empty: every position
};

struct LensToken {
  int32_t id = 0;
  float prob = 0;
};

struct LensCell {
  std::vector<LensToken> top;  // the top_k tokens, most probable first
  float target_prob = 0;       // only meaningful when a target was given
  int target_rank = 0;         // 1 = the most probable token (1 + tokens with a strictly higher logit)
  float foil_prob = 0;         // the same for the foil, when one was given
  int foil_rank = 0;
  float kl_to_final = 0;       // KL(p_final || p_l) in nats
  float entropy = 0;           // of p_l, in nats
};

struct LogitLensResult {
  std::string lens = "logit";  // "logit" | "tuned"
  int n_layers = 0;            // boundaries are 0..n_layers
  std::vector<std::string> boundary_hooks;  // the hook each boundary is read from
  std::vector<int> positions;
  std::optional<int32_t> target;
  std::optional<int32_t> foil;
  std::vector<std::vector<LensCell>> cells;  // [boundary][index into positions]
  std::vector<float> mean_kl_to_final;       // per boundary, over the reported positions
};

LogitLensResult logit_lens(const Model& model, const std::vector<int32_t>& tokens, const LensSettings& settings = {});

// --- building blocks --------------------------------------------------------

// Norm_final(h) · W_U^T with h's own statistics: (pos, d_vocab).
Mat lens_logits(const Model& model, const Mat& h);

// Row-wise log-softmax, in double for the small probabilities.
Eigen::MatrixXd log_softmax_rows(const Mat& logits);

// Per row: KL(p || q) from log-probabilities, in nats.
std::vector<double> kl_rows(const Eigen::MatrixXd& log_p, const Eigen::MatrixXd& log_q);

// Assembles a result from the residual stream at every boundary (already
// mapped, for the tuned lens). `final_residual` gives p_final for the KL.
LogitLensResult lens_from_residuals(const Model& model, const std::vector<Mat>& boundaries,
                                    const Mat& final_residual, const LensSettings& settings);

nlohmann::json to_json(const LogitLensResult& result);

}  // namespace strata
