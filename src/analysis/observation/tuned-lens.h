// Tuned lens (Belrose et al. 2023; docs/methods.md, "Tuned lens"): the logit
// lens after a per-boundary affine map, p_l = softmax(W_U · Norm_final(A_l h_l + b_l)).
//
// Fit, per boundary l, over every position of a set of prompts:
//   1. least squares in residual space (closed form, double precision):
//        min_{A,b} Σ_positions |h_final − (h_l A + b)|² + λ |A − I|²_F
//      λ = ridge · trace(Xcᵀ Xc) / d_model with Xc the centred h_l; the penalty
//      pulls A towards the identity (the plain logit lens) and leaves b free;
//   2. with objective "kl" (the default), from that start, `steps` steps of
//      Adam (β₁ 0.9, β₂ 0.999, ε 1e-8, full batch, single precision) on
//        mean over positions of KL(p_final ‖ p_l)
//      the objective of the paper: the lens is judged on the distribution it
//      predicts, which a residual-space fit ignores (the final norm divides out
//      the scale least squares spends its effort on). The gradient runs back
//      through the final norm with the row's own statistics, as the lens applies it.
// Deterministic: no sampling; the same prompts give the same bytes on one build.
//
// Boundaries follow logit-lens.h: 0..n_layers-1 are fitted; boundary n_layers
// (the final residual) is the identity and is not stored.
//
// Settings (TunedLensFitSettings): the suite runner reads them from its table,
// tuned_lens_settings() (observation-runners.h).
//
// File (safetensors, F32): for l in [0, n_layers)
//   tuned_lens.{l}.weight  (d_model, d_model)  PyTorch nn.Linear layout [out, in]: h' = h · weightᵀ + bias
//   tuned_lens.{l}.bias    (d_model)
// metadata: format = "strata-tuned-lens", model_type, n_layers, d_model, fit, ridge.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analysis/observation/logit-lens.h"
#include "io/safetensors.h"
#include "model/model.h"

namespace strata {

struct TunedLens {
  std::vector<Mat> A;     // per boundary l < n_layers: (d_model, d_model), [in, out]: h' = h A + b
  std::vector<RowVec> b;  // per boundary: (d_model)
  double ridge = 0;       // the setting it was fitted with (recorded in the file)
  std::string fit = "";   // how it was fitted: fit_name() of its settings (recorded in the file)
};

enum class TunedLensObjective { Kl, LeastSquares };

struct TunedLensFitSettings {
  TunedLensObjective objective = TunedLensObjective::Kl;
  double ridge = 1e-3;          // relative strength of the least-squares pull towards the identity
  int steps = 250;              // Adam steps of the KL fit
  double learning_rate = 1e-3;  // Adam's step size
};

// "kl-from-least-squares" or "least-squares-to-final-residual".
std::string fit_name(const TunedLensFitSettings& settings);

// Mean KL(p_final || p_l) per boundary 0..n_layers over every position of a prompt set.
struct TunedLensQuality {
  int64_t n_positions = 0;
  std::vector<double> kl_logit_lens;
  std::vector<double> kl_tuned_lens;
};

struct TunedLensFit {
  TunedLens lens;
  TunedLensQuality quality;  // on the fitting prompts
  // The KL fit's objective per fitted boundary at its least-squares start and
  // at its end (empty with objective "least-squares").
  std::vector<double> kl_start, kl_end;
};

TunedLensFit fit_tuned_lens(const Model& model, const std::vector<std::vector<int32_t>>& prompts,
                            const TunedLensFitSettings& settings = {});

// The fit alone, its `quality` left empty (the suite analysis measures it per
// kind). `progress`, when given, is told the fraction of boundaries fitted after each one.
TunedLensFit fit_tuned_lens_maps(const Model& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const TunedLensFitSettings& settings, const std::function<void(double)>& progress = {});

// Quality on any prompt set (hold some out of the fit to measure it honestly).
TunedLensQuality evaluate_tuned_lens(const Model& model, const TunedLens& lens,
                                     const std::vector<std::vector<int32_t>>& prompts);

// The lens view of one prompt through the tuned lens (result.lens == "tuned").
LogitLensResult tuned_lens(const Model& model, const TunedLens& lens, const std::vector<int32_t>& tokens,
                           const LensSettings& settings = {});

// The ridge fit itself: A, b minimising |Y − (X A + b)|² + λ|A − I|², λ = ridge · trace(XcᵀXc)/d.
// X and Y are (n, d) with the same d. Solved in double.
void fit_affine_ridge(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y, double ridge, Mat& A, RowVec& b);

// From A, b: `steps` Adam steps on the mean over rows of KL(p_final ‖ softmax(W_U · Norm_final(X A + b))),
// p_final the model's output distribution at each row (log_p_final: (n, d_vocab)). X: (n, d_model).
// Returns the objective before and after.
std::pair<double, double> fit_affine_kl(const Model& model, const Mat& X, const Eigen::MatrixXd& log_p_final,
                                        int steps, double learning_rate, Mat& A, RowVec& b);

// h_l mapped through the boundary's affine map (the identity at boundary n_layers).
Mat apply_tuned_lens(const TunedLens& lens, int boundary, const Mat& h);

std::vector<uint8_t> save_tuned_lens(const TunedLens& lens, const ModelConfig& config);
// Checks every tensor's presence and shape against the model; errors name the tensor.
TunedLens load_tuned_lens(const SafetensorsFile& file, const ModelConfig& config);

nlohmann::json to_json(const TunedLensQuality& quality);

}  // namespace strata
