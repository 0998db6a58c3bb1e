// Tuned lens: the fit of one affine map per boundary (least squares, then
// Adam on the KL to the output), its application, its quality report and its
// safetensors file.
#include "analysis/observation/tuned-lens.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "base/error.h"
#include "tensor/matmul.h"

namespace strata {

namespace {

std::string weight_name(int l) { return "tuned_lens." + std::to_string(l) + ".weight"; }
std::string bias_name(int l) { return "tuned_lens." + std::to_string(l) + ".bias"; }

void check_lens(const TunedLens& lens, const ModelConfig& c, const char* where) {
  if (lens.A.size() != static_cast<size_t>(c.n_layers) || lens.b.size() != lens.A.size())
    fail_expected(std::string(where) + ": tuned lens", std::to_string(c.n_layers) + " affine maps",
                  std::to_string(lens.A.size()));
  for (size_t l = 0; l < lens.A.size(); ++l)
    if (lens.A[l].rows() != c.d_model || lens.A[l].cols() != c.d_model || lens.b[l].size() != c.d_model)
      fail_expected(std::string(where) + ": " + weight_name(static_cast<int>(l)),
                    shape_to_string({c.d_model, c.d_model}), shape_to_string({lens.A[l].rows(), lens.A[l].cols()}));
}

// Every boundary's residual stream over every position of the prompts, stacked: (n, d_model) each.
std::vector<Mat> stacked_boundaries(const Model& model, const std::vector<std::vector<int32_t>>& prompts) {
  const ModelConfig& c = model.config;
  int64_t total = 0;
  for (const auto& p : prompts) total += static_cast<int64_t>(p.size());
  if (total == 0) throw Error("tuned lens: the prompt set has no tokens");
  std::vector<Mat> stacked(c.n_layers + 1, Mat(total, c.d_model));
  int64_t row = 0;
  for (const auto& prompt : prompts) {
    const std::vector<Mat> b = residual_boundaries(model, prompt);
    const int64_t n = static_cast<int64_t>(prompt.size());
    for (int l = 0; l <= c.n_layers; ++l) stacked[l].middleRows(row, n) = b[l];
    row += n;
  }
  return stacked;
}

// The final norm's forward pass, keeping what its backward pass needs.
struct NormPass {
  Mat normalised;       // (n, d): (z − mean) / σ for LayerNorm, z / rms for RMSNorm
  Eigen::VectorXf inv;  // (n): 1/σ or 1/rms per row
};

NormPass final_norm_forward(const Model& model, const Mat& z) {
  const ModelConfig& c = model.config;
  const float d = static_cast<float>(z.cols());
  NormPass pass;
  pass.normalised = z;
  if (c.family == Family::Gpt2) pass.normalised.colwise() -= Eigen::VectorXf(z.rowwise().sum() / d);
  pass.inv = ((pass.normalised.rowwise().squaredNorm() / d).array() + c.norm_eps).rsqrt();
  pass.normalised.array().colwise() *= pass.inv.array();
  return pass;
}

// dL/dz from dL/d(normalised) g, row by row:
//   LayerNorm: (1/σ) (g − mean(g) − n · mean(g ⊙ n));  RMSNorm: (1/rms) (g − n · mean(g ⊙ n)).
Mat final_norm_backward(const Model& model, const NormPass& pass, const Mat& g) {
  const float d = static_cast<float>(g.cols());
  const Eigen::VectorXf gn_mean = (g.cwiseProduct(pass.normalised)).rowwise().sum() / d;
  Mat dz = g - pass.normalised.cwiseProduct(gn_mean.replicate(1, g.cols()));
  if (model.config.family == Family::Gpt2) dz.colwise() -= Eigen::VectorXf(g.rowwise().sum() / d);
  dz.array().colwise() *= pass.inv.array();
  return dz;
}

// softmax(logits) − p, row by row (the gradient of the KL in the logits, before the 1/n).
Mat softmax_minus(const Mat& logits, const Mat& p) {
  Mat q = logits;
  q.colwise() -= Eigen::VectorXf(q.rowwise().maxCoeff());
  q = q.array().exp();
  q.array().colwise() /= q.rowwise().sum().array();
  return q - p;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

}  // namespace

void fit_affine_ridge(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y, double ridge, Mat& A, RowVec& b) {
  if (X.rows() != Y.rows() || X.cols() != Y.cols() || X.rows() == 0)
    fail_expected("tuned lens fit: X and Y", "the same non-empty shape",
                  shape_to_string({X.rows(), X.cols()}) + " and " + shape_to_string({Y.rows(), Y.cols()}));
  const Eigen::Index d = X.cols();
  const Eigen::RowVectorXd x_mean = X.colwise().mean(), y_mean = Y.colwise().mean();
  const Eigen::MatrixXd Xc = X.rowwise() - x_mean, Yc = Y.rowwise() - y_mean;
  Eigen::MatrixXd gram = Xc.transpose() * Xc;
  const double scale = std::max(gram.trace() / static_cast<double>(d), 1e-12);
  const double lambda = ridge * scale;
  const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(d, d);
  gram += lambda * identity;
  const Eigen::MatrixXd rhs = Xc.transpose() * Yc + lambda * identity;
  const Eigen::MatrixXd A_d = gram.ldlt().solve(rhs);
  A = A_d.cast<float>();
  b = (y_mean - x_mean * A_d).cast<float>();
}

std::pair<double, double> fit_affine_kl(const Model& model, const Mat& X, const Eigen::MatrixXd& log_p_final,
                                        int steps, double learning_rate, Mat& A, RowVec& b) {
  const ModelConfig& c = model.config;
  const ModelWeights& w = model.weights;
  if (X.cols() != c.d_model || log_p_final.rows() != X.rows() || log_p_final.cols() != c.d_vocab || X.rows() == 0)
    fail_expected("tuned lens KL fit: inputs", "(n, d_model) residuals and (n, d_vocab) log-probabilities, n > 0",
                  shape_to_string({X.rows(), X.cols()}) + " and " + shape_to_string({log_p_final.rows(), log_p_final.cols()}));
  const WeightMatrix& W_U = w.unembedding();  // (d_vocab, d_model)
  const Mat p = log_p_final.array().exp().cast<float>().matrix();
  const bool has_norm_bias = w.ln_f_b.size() == c.d_model;
  const float inv_n = 1.0f / static_cast<float>(X.rows());
  // The products go through matmul(): in wasm its SIMD kernel is about 1.7 times
  // Eigen's product, and it is shared over threads; natively it is Eigen's.
  auto logits_at = [&](NormPass& pass) {
    Mat z, logits;
    matmul(X, A, z);
    z.rowwise() += b;
    pass = final_norm_forward(model, z);
    Mat y = pass.normalised.array().rowwise() * w.ln_f_w.array();
    if (has_norm_bias) y.rowwise() += w.ln_f_b;
    matmul_transposed(y, W_U, logits);
    return logits;
  };
  auto objective = [&] {
    NormPass pass;
    const Mat logits = logits_at(pass);
    const std::vector<double> kl = kl_rows(log_p_final, log_softmax_rows(logits));
    double total = 0;
    for (double k : kl) total += k;
    return total / static_cast<double>(kl.size());
  };
  const Mat X_t = X.transpose();
  Mat grad_A, grad_y;
  RowVec grad_b;
  auto gradient = [&] {
    NormPass pass;
    const Mat grad_logits = softmax_minus(logits_at(pass), p);
    matmul(grad_logits, W_U, grad_y);
    const Mat grad_normalised = (grad_y.array().rowwise() * w.ln_f_w.array()) * inv_n;
    const Mat dz = final_norm_backward(model, pass, grad_normalised);
    matmul(X_t, dz, grad_A);
    grad_b = dz.colwise().sum();
  };
  const double start = objective();
  // Adam with bias correction; the moments of A and b.
  const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, lr = static_cast<float>(learning_rate);
  Mat m_A = Mat::Zero(A.rows(), A.cols()), v_A = m_A;
  RowVec m_b = RowVec::Zero(b.size()), v_b = m_b;
  for (int t = 1; t <= steps; ++t) {
    gradient();
    const float c1 = 1.0f - std::pow(beta1, static_cast<float>(t)), c2 = 1.0f - std::pow(beta2, static_cast<float>(t));
    const float step = lr * std::sqrt(c2) / c1;
    m_A = beta1 * m_A + (1 - beta1) * grad_A;
    v_A = beta2 * v_A + (1 - beta2) * grad_A.cwiseProduct(grad_A);
    m_b = beta1 * m_b + (1 - beta1) * grad_b;
    v_b = beta2 * v_b + (1 - beta2) * grad_b.cwiseProduct(grad_b);
    A.array() -= step * m_A.array() / (v_A.array().sqrt() + eps);
    b.array() -= step * m_b.array() / (v_b.array().sqrt() + eps);
  }
  return {start, steps > 0 ? objective() : start};
}

std::string fit_name(const TunedLensFitSettings& settings) {
  return settings.objective == TunedLensObjective::Kl ? "kl-from-least-squares" : "least-squares-to-final-residual";
}

Mat apply_tuned_lens(const TunedLens& lens, int boundary, const Mat& h) {
  const int n_layers = static_cast<int>(lens.A.size());
  if (boundary < 0 || boundary > n_layers)
    fail_expected("tuned lens: boundary", "[0, " + std::to_string(n_layers) + "]", std::to_string(boundary));
  if (boundary == n_layers) return h;
  Mat out = h * lens.A[boundary];
  out.rowwise() += lens.b[boundary];
  return out;
}

TunedLensFit fit_tuned_lens(const Model& model, const std::vector<std::vector<int32_t>>& prompts,
                            const TunedLensFitSettings& settings) {
  TunedLensFit fit = fit_tuned_lens_maps(model, prompts, settings);
  fit.quality = evaluate_tuned_lens(model, fit.lens, prompts);
  return fit;
}

TunedLensFit fit_tuned_lens_maps(const Model& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const TunedLensFitSettings& settings, const std::function<void(double)>& progress) {
  if (settings.ridge < 0) fail_expected("tuned lens: ridge", ">= 0", std::to_string(settings.ridge));
  if (settings.steps < 0) fail_expected("tuned lens: steps", ">= 0", std::to_string(settings.steps));
  if (!(settings.learning_rate > 0)) fail_expected("tuned lens: learning_rate", "> 0", std::to_string(settings.learning_rate));
  const std::vector<Mat> stacked = stacked_boundaries(model, prompts);
  const int L = model.config.n_layers;
  TunedLensFit fit;
  fit.lens.ridge = settings.ridge;
  fit.lens.fit = fit_name(settings);
  fit.lens.A.resize(L);
  fit.lens.b.resize(L);
  const Eigen::MatrixXd Y = stacked[L].cast<double>();
  const bool kl = settings.objective == TunedLensObjective::Kl;
  const Eigen::MatrixXd log_p_final = kl ? log_softmax_rows(lens_logits(model, stacked[L])) : Eigen::MatrixXd();
  for (int l = 0; l < L; ++l) {
    fit_affine_ridge(stacked[l].cast<double>(), Y, settings.ridge, fit.lens.A[l], fit.lens.b[l]);
    if (kl) {
      const auto [start, end] = fit_affine_kl(model, stacked[l], log_p_final, settings.steps, settings.learning_rate,
                                              fit.lens.A[l], fit.lens.b[l]);
      fit.kl_start.push_back(start);
      fit.kl_end.push_back(end);
    }
    if (progress) progress(static_cast<double>(l + 1) / L);
  }
  return fit;
}

TunedLensQuality evaluate_tuned_lens(const Model& model, const TunedLens& lens,
                                     const std::vector<std::vector<int32_t>>& prompts) {
  check_lens(lens, model.config, "tuned lens quality");
  const int L = model.config.n_layers;
  std::vector<std::vector<double>> kl_logit(L + 1), kl_tuned(L + 1);
  TunedLensQuality q;
  for (const auto& prompt : prompts) {
    const std::vector<Mat> b = residual_boundaries(model, prompt);
    const Eigen::MatrixXd log_final = log_softmax_rows(lens_logits(model, b[L]));
    for (int l = 0; l <= L; ++l) {
      const std::vector<double> a = kl_rows(log_final, log_softmax_rows(lens_logits(model, b[l])));
      const std::vector<double> t =
          kl_rows(log_final, log_softmax_rows(lens_logits(model, apply_tuned_lens(lens, l, b[l]))));
      kl_logit[l].insert(kl_logit[l].end(), a.begin(), a.end());
      kl_tuned[l].insert(kl_tuned[l].end(), t.begin(), t.end());
    }
    q.n_positions += static_cast<int64_t>(prompt.size());
  }
  for (int l = 0; l <= L; ++l) {
    q.kl_logit_lens.push_back(mean(kl_logit[l]));
    q.kl_tuned_lens.push_back(mean(kl_tuned[l]));
  }
  return q;
}

LogitLensResult tuned_lens(const Model& model, const TunedLens& lens, const std::vector<int32_t>& tokens,
                           const LensSettings& settings) {
  check_lens(lens, model.config, "tuned lens");
  std::vector<Mat> boundaries = residual_boundaries(model, tokens);
  const Mat final_residual = boundaries.back();
  for (size_t l = 0; l < boundaries.size(); ++l)
    boundaries[l] = apply_tuned_lens(lens, static_cast<int>(l), boundaries[l]);
  LogitLensResult result = lens_from_residuals(model, boundaries, final_residual, settings);
  result.lens = "tuned";
  return result;
}

std::vector<uint8_t> save_tuned_lens(const TunedLens& lens, const ModelConfig& config) {
  check_lens(lens, config, "save tuned lens");
  const int64_t d = config.d_model;
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (int l = 0; l < config.n_layers; ++l) {
    const Mat weight = lens.A[l].transpose();  // [out, in]
    tensors.push_back({weight_name(l), Tensor{{d, d}, std::vector<float>(weight.data(), weight.data() + d * d)}});
    tensors.push_back({bias_name(l), Tensor{{d}, std::vector<float>(lens.b[l].data(), lens.b[l].data() + d)}});
  }
  const std::map<std::string, std::string> metadata = {{"format", "strata-tuned-lens"},
                                                       {"model_type", config.model_type},
                                                       {"n_layers", std::to_string(config.n_layers)},
                                                       {"d_model", std::to_string(config.d_model)},
                                                       {"fit", lens.fit.empty() ? "least-squares-to-final-residual" : lens.fit},
                                                       {"ridge", std::to_string(lens.ridge)}};
  return write_safetensors_f32(tensors, metadata);
}

TunedLens load_tuned_lens(const SafetensorsFile& file, const ModelConfig& config) {
  const int64_t d = config.d_model;
  auto read = [&](const std::string& name, const std::vector<int64_t>& shape) {
    if (!file.find(name)) throw Error(file.label() + ": " + name + ": missing from the tuned lens");
    Tensor t = file.read_f32(name);
    if (t.shape != shape) fail_expected(file.label() + ": " + name, shape_to_string(shape), shape_to_string(t.shape));
    return t;
  };
  if (file.tensors().size() != 2 * static_cast<size_t>(config.n_layers))
    fail_expected(file.label() + ": tensors", std::to_string(2 * config.n_layers) + " (a weight and a bias for each of " +
                                                  std::to_string(config.n_layers) + " layers)",
                  std::to_string(file.tensors().size()));
  TunedLens lens;
  for (int l = 0; l < config.n_layers; ++l) {
    const Tensor w = read(weight_name(l), {d, d});
    const Tensor b = read(bias_name(l), {d});
    lens.A.push_back(Eigen::Map<const Mat>(w.data.data(), d, d).transpose());
    lens.b.push_back(Eigen::Map<const RowVec>(b.data.data(), d));
  }
  const auto it = file.metadata().find("ridge");
  if (it != file.metadata().end()) lens.ridge = std::strtod(it->second.c_str(), nullptr);
  const auto fit = file.metadata().find("fit");
  if (fit != file.metadata().end()) lens.fit = fit->second;
  return lens;
}

nlohmann::json to_json(const TunedLensQuality& quality) {
  return {{"n_positions", quality.n_positions},
          {"kl_logit_lens", quality.kl_logit_lens},
          {"kl_tuned_lens", quality.kl_tuned_lens}};
}

}  // namespace strata
