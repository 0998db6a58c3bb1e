// Tuned lens (Belrose et al. 2023): the logit lens after a per-boundary affine
// map, p_l = softmax(W_U · Norm_final(A_l h_l + b_l)).
//
// Fit: closed-form ridge regression of the final residual stream (the output
// of the last block) on h_l, over every position of a set of prompts:
//   min_{A,b} Σ_positions |h_final − (h_l A + b)|² + λ |A − I|²_F
// The penalty pulls A towards the identity (towards the plain logit lens) and
// leaves b free; λ = ridge · trace(Xcᵀ Xc) / d_model with Xc the centred h_l.
// This is a least-squares fit in residual space, not a KL fit through the
// final norm: a first fit that the quality report (mean KL to the final
// output per boundary, logit lens vs tuned lens) lets one judge.
//
// Boundaries follow logit-lens.h: 0..n_layers-1 are fitted; boundary n_layers
// (the final residual) is the identity and is not stored.
//
// File (safetensors, F32): for l in [0, n_layers)
//   tuned_lens.{l}.weight  (d_model, d_model)  PyTorch nn.Linear layout [out, in]: h' = h · weightᵀ + bias
//   tuned_lens.{l}.bias    (d_model)
// metadata: format = "strata-tuned-lens", model_type, n_layers, d_model, fit, ridge.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "analysis/logit-lens.h"
#include "io/safetensors.h"
#include "model/model.h"

namespace strata {

struct TunedLens {
  std::vector<Mat> A;     // per boundary l < n_layers: (d_model, d_model), [in, out]: h' = h A + b
  std::vector<RowVec> b;  // per boundary: (d_model)
  double ridge = 0;       // the setting it was fitted with (recorded in the file)
};

struct TunedLensFitSettings {
  double ridge = 1e-3;         // relative strength of the pull towards the identity
  int64_t max_positions = 8192; // positions used for the fit, taken in prompt order
};

// Mean KL(p_final || p_l) per boundary 0..n_layers over every position of a prompt set.
struct TunedLensQuality {
  int64_t n_positions = 0;
  std::vector<double> kl_logit_lens;
  std::vector<double> kl_tuned_lens;
};

struct TunedLensFit {
  TunedLens lens;
  TunedLensQuality quality;  // on the fitting prompts
};

TunedLensFit fit_tuned_lens(const Model& model, const std::vector<std::vector<int32_t>>& prompts,
                            const TunedLensFitSettings& settings = {});

// Quality on any prompt set (hold some out of the fit to measure it honestly).
TunedLensQuality evaluate_tuned_lens(const Model& model, const TunedLens& lens,
                                     const std::vector<std::vector<int32_t>>& prompts);

// The lens view of one prompt through the tuned lens (result.lens == "tuned").
LogitLensResult tuned_lens(const Model& model, const TunedLens& lens, const std::vector<int32_t>& tokens,
                           const LensSettings& settings = {});

// The ridge fit itself: A, b minimising |Y − (X A + b)|² + λ|A − I|², λ = ridge · trace(XcᵀXc)/d.
// X and Y are (n, d) with the same d. Solved in double.
void fit_affine_ridge(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y, double ridge, Mat& A, RowVec& b);

// h_l mapped through the boundary's affine map (the identity at boundary n_layers).
Mat apply_tuned_lens(const TunedLens& lens, int boundary, const Mat& h);

std::vector<uint8_t> save_tuned_lens(const TunedLens& lens, const ModelConfig& config);
// Checks every tensor's presence and shape against the model; errors name the tensor.
TunedLens load_tuned_lens(const SafetensorsFile& file, const ModelConfig& config);

nlohmann::json to_json(const TunedLensQuality& quality);

}  // namespace strata
