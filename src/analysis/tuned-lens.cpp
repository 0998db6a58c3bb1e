// Tuned lens: the closed-form ridge fit of one affine map per boundary, its
// application, its quality report and its safetensors file.
#include "analysis/tuned-lens.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "base/error.h"

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

// Every boundary's residual stream over the prompts, stacked by position: (n, d_model) each.
std::vector<Eigen::MatrixXd> stacked_boundaries(const Model& model, const std::vector<std::vector<int32_t>>& prompts,
                                                int64_t max_positions) {
  const ModelConfig& c = model.config;
  int64_t total = 0;
  for (const auto& p : prompts) total += static_cast<int64_t>(p.size());
  total = std::min(total, max_positions);
  if (total == 0) throw Error("tuned lens: the prompt set has no tokens");
  std::vector<Eigen::MatrixXd> stacked(c.n_layers + 1, Eigen::MatrixXd(total, c.d_model));
  int64_t row = 0;
  for (const auto& prompt : prompts) {
    if (row == total) break;
    const std::vector<Mat> b = residual_boundaries(model, prompt);
    const int64_t take = std::min<int64_t>(static_cast<int64_t>(prompt.size()), total - row);
    for (int l = 0; l <= c.n_layers; ++l) stacked[l].middleRows(row, take) = b[l].topRows(take).cast<double>();
    row += take;
  }
  return stacked;
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
  if (settings.ridge < 0) fail_expected("tuned lens: ridge", ">= 0", std::to_string(settings.ridge));
  if (settings.max_positions < 1)
    fail_expected("tuned lens: max_positions", ">= 1", std::to_string(settings.max_positions));
  const std::vector<Eigen::MatrixXd> stacked = stacked_boundaries(model, prompts, settings.max_positions);
  TunedLensFit fit;
  fit.lens.ridge = settings.ridge;
  const int L = model.config.n_layers;
  fit.lens.A.resize(L);
  fit.lens.b.resize(L);
  for (int l = 0; l < L; ++l) fit_affine_ridge(stacked[l], stacked[L], settings.ridge, fit.lens.A[l], fit.lens.b[l]);
  fit.quality = evaluate_tuned_lens(model, fit.lens, prompts);
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
                                                       {"fit", "ridge-to-final-residual"},
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
  return lens;
}

nlohmann::json to_json(const TunedLensQuality& quality) {
  return {{"n_positions", quality.n_positions},
          {"kl_logit_lens", quality.kl_logit_lens},
          {"kl_tuned_lens", quality.kl_tuned_lens}};
}

}  // namespace strata
