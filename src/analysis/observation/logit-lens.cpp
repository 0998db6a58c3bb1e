// Logit lens: the final norm and the unembedding applied to the residual
// stream at every layer boundary, summarised per (boundary, position) as the
// top tokens, a target token's probability and rank, and the KL to the output.
#include "analysis/observation/logit-lens.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>
#include <utility>

#include "base/error.h"
#include "model/forward.h"
#include "tensor/matmul.h"
#include "tensor/ops.h"

namespace strata {

namespace {

std::vector<int> checked_positions(const std::vector<int>& asked, int n_pos, const char* where) {
  if (asked.empty()) {
    std::vector<int> all(n_pos);
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
  for (int p : asked)
    if (p < 0 || p >= n_pos)
      fail_expected(std::string(where) + ": position", "[0, " + std::to_string(n_pos) + ")", std::to_string(p));
  return asked;
}

void check_settings(const Model& model, const LensSettings& s) {
  if (s.top_k < 0) fail_expected("lens: top_k", "a count >= 0", std::to_string(s.top_k));
  for (const auto& [name, token] : {std::pair{"lens: target", s.target}, std::pair{"lens: foil", s.foil}})
    if (token && (*token < 0 || *token >= model.config.d_vocab))
      fail_expected(name, "a token id in [0, " + std::to_string(model.config.d_vocab) + ")", std::to_string(*token));
}

// A token's probability and rank (1 + tokens with a strictly higher log-probability).
std::pair<float, int> prob_and_rank(const Eigen::RowVectorXd& log_p, int32_t token) {
  const double t = log_p[token];
  return {static_cast<float>(std::exp(t)), 1 + static_cast<int>((log_p.array() > t).count())};
}

LensCell summarise_row(const Eigen::RowVectorXd& log_p, int top_k, const LensSettings& s) {
  LensCell cell;
  const int n = static_cast<int>(log_p.size());
  const int k = std::min(top_k, n);
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
    return log_p[a] > log_p[b] || (log_p[a] == log_p[b] && a < b);
  });
  for (int i = 0; i < k; ++i) cell.top.push_back({order[i], static_cast<float>(std::exp(log_p[order[i]]))});
  if (s.target) std::tie(cell.target_prob, cell.target_rank) = prob_and_rank(log_p, *s.target);
  if (s.foil) std::tie(cell.foil_prob, cell.foil_rank) = prob_and_rank(log_p, *s.foil);
  double entropy = 0;
  for (int i = 0; i < n; ++i)
    if (std::isfinite(log_p[i])) entropy -= std::exp(log_p[i]) * log_p[i];
  cell.entropy = static_cast<float>(entropy);
  return cell;
}

}  // namespace

Mat lens_logits(const Model& model, const Mat& h) {
  const ModelConfig& c = model.config;
  const ModelWeights& w = model.weights;
  if (h.cols() != c.d_model) fail_expected("lens: residual width", std::to_string(c.d_model), std::to_string(h.cols()));
  Mat normed, logits;
  if (c.family == Family::Gpt2) layer_norm(h, w.ln_f_w, w.ln_f_b, c.norm_eps, normed);
  else rms_norm(h, w.ln_f_w, c.norm_eps, normed);
  matmul_transposed(normed, w.unembedding(), logits);
  // A NaN logit would rank first and give KL 0: no figure is computed from one.
  if (!logits.allFinite()) throw Error("lens: the residual stream gives non-finite logits");
  return logits;
}

Eigen::MatrixXd log_softmax_rows(const Mat& logits) {
  Eigen::MatrixXd out = logits.cast<double>();
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    const double max = out.row(r).maxCoeff();
    const double lse = max + std::log((out.row(r).array() - max).exp().sum());
    out.row(r).array() -= lse;
  }
  return out;
}

std::vector<double> kl_rows(const Eigen::MatrixXd& log_p, const Eigen::MatrixXd& log_q) {
  std::vector<double> kl(log_p.rows(), 0.0);
  for (Eigen::Index r = 0; r < log_p.rows(); ++r)
    for (Eigen::Index i = 0; i < log_p.cols(); ++i) {
      const double p = std::exp(log_p(r, i));
      if (p > 0) kl[r] += p * (log_p(r, i) - log_q(r, i));
    }
  return kl;
}

LogitLensResult lens_from_residuals(const Model& model, const std::vector<Mat>& boundaries,
                                    const Mat& final_residual, const LensSettings& settings) {
  check_settings(model, settings);
  if (boundaries.size() != static_cast<size_t>(model.config.n_layers) + 1)
    fail_expected("lens: boundaries", std::to_string(model.config.n_layers + 1) + " residual streams",
                  std::to_string(boundaries.size()));
  const int n_pos = static_cast<int>(final_residual.rows());
  LogitLensResult result;
  result.n_layers = model.config.n_layers;
  result.boundary_hooks = boundary_hook_names(model.config);
  result.positions = checked_positions(settings.positions, n_pos, "lens");
  result.target = settings.target;
  result.foil = settings.foil;
  const Eigen::MatrixXd log_final = log_softmax_rows(lens_logits(model, final_residual));
  for (const Mat& h : boundaries) {
    const Eigen::MatrixXd log_p = log_softmax_rows(lens_logits(model, h));
    const std::vector<double> kl = kl_rows(log_final, log_p);
    std::vector<LensCell> row;
    double kl_sum = 0;
    for (int p : result.positions) {
      LensCell cell = summarise_row(log_p.row(p), settings.top_k, settings);
      cell.kl_to_final = static_cast<float>(kl[p]);
      kl_sum += kl[p];
      row.push_back(std::move(cell));
    }
    result.cells.push_back(std::move(row));
    result.mean_kl_to_final.push_back(static_cast<float>(kl_sum / std::max<size_t>(1, result.positions.size())));
  }
  return result;
}

LogitLensResult logit_lens(const Model& model, const std::vector<int32_t>& tokens, const LensSettings& settings) {
  check_settings(model, settings);
  const std::vector<Mat> boundaries = residual_boundaries(model, tokens);
  return lens_from_residuals(model, boundaries, boundaries.back(), settings);
}

nlohmann::json to_json(const LogitLensResult& result) {
  nlohmann::json boundaries = nlohmann::json::array();
  for (size_t b = 0; b < result.cells.size(); ++b) {
    nlohmann::json cells = nlohmann::json::array();
    for (const LensCell& cell : result.cells[b]) {
      nlohmann::json top = nlohmann::json::array();
      for (const LensToken& t : cell.top) top.push_back({{"id", t.id}, {"prob", t.prob}});
      nlohmann::json j = {{"top", std::move(top)}, {"kl_to_final", cell.kl_to_final}, {"entropy", cell.entropy}};
      if (result.target) {
        j["target_prob"] = cell.target_prob;
        j["target_rank"] = cell.target_rank;
      }
      if (result.foil) {
        j["foil_prob"] = cell.foil_prob;
        j["foil_rank"] = cell.foil_rank;
      }
      cells.push_back(std::move(j));
    }
    boundaries.push_back({{"boundary", b},
                          {"hook", b < result.boundary_hooks.size() ? result.boundary_hooks[b] : ""},
                          {"mean_kl_to_final", result.mean_kl_to_final[b]},
                          {"cells", std::move(cells)}});
  }
  nlohmann::json j = {{"lens", result.lens},
                      {"n_layers", result.n_layers},
                      {"positions", result.positions},
                      {"boundaries", std::move(boundaries)}};
  j["target"] = result.target ? nlohmann::json(*result.target) : nlohmann::json(nullptr);
  j["foil"] = result.foil ? nlohmann::json(*result.foil) : nlohmann::json(nullptr);
  return j;
}

}  // namespace strata
