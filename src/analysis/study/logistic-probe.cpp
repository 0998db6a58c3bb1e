// A multinomial logistic-regression probe (logistic-probe.h).
#include "analysis/study/logistic-probe.h"

#include <cmath>

#include "base/error.h"

namespace strata {

namespace {

// Standardised features with a column of ones, in single precision: the fit's
// products run twice as wide in SIMD, and a probe needs no more precision.
Eigen::MatrixXf standardised_with_bias(const LogisticProbe& p, const Eigen::MatrixXd& X) {
  Eigen::MatrixXf Z(X.rows(), X.cols() + 1);
  Z.leftCols(X.cols()) = ((X.rowwise() - p.mean).array().rowwise() / p.scale.array()).matrix().cast<float>();
  Z.col(X.cols()).setOnes();
  return Z;
}

void softmax_rows(Eigen::MatrixXf& logits) {
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    logits.row(i).array() -= logits.row(i).maxCoeff();
    logits.row(i) = logits.row(i).array().exp();
    logits.row(i) /= logits.row(i).sum();
  }
}

// Largest eigenvalue of the symmetric positive semi-definite A, by power iteration from a fixed start.
double largest_eigenvalue(const Eigen::MatrixXd& A) {
  Eigen::VectorXd v = Eigen::VectorXd::Ones(A.rows()).normalized();
  double lambda = 0.0;
  for (int it = 0; it < 100; ++it) {
    const Eigen::VectorXd w = A * v;
    lambda = v.dot(w);
    const double norm = w.norm();
    if (norm == 0.0) break;
    v = w / norm;
  }
  return lambda;
}

}  // namespace

LogisticProbe fit_probe(const Eigen::MatrixXd& X, const std::vector<int>& y, int n_classes, const ProbeSettings& s) {
  const Eigen::Index n = X.rows(), d = X.cols();
  if (n == 0 || static_cast<size_t>(n) != y.size()) throw Error("probe: no training items, or labels not one per item");
  if (n_classes < 1) throw Error("probe: no classes");
  LogisticProbe p;
  p.mean = X.colwise().mean();
  p.scale = ((X.rowwise() - p.mean).array().square().colwise().sum() / static_cast<double>(n)).sqrt();
  for (Eigen::Index k = 0; k < d; ++k)
    if (!(p.scale[k] > 1e-12)) p.scale[k] = 1.0;  // a constant feature stays 0 after centring
  const Eigen::MatrixXf Z = standardised_with_bias(p, X);
  Eigen::MatrixXf Y = Eigen::MatrixXf::Zero(n, n_classes);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (y[i] < 0 || y[i] >= n_classes) fail_expected("probe: label", "in [0, " + std::to_string(n_classes) + ")", std::to_string(y[i]));
    Y(i, y[i]) = 1.0f;
  }
  // Böhning's bound: the softmax cross-entropy's Hessian is at most ½ ZᵀZ/n; 5% margin for the power iteration.
  const Eigen::MatrixXd gram = (Z.transpose() * Z).cast<double>() / static_cast<double>(n);
  const float step = static_cast<float>(1.0 / (0.5 * 1.05 * largest_eigenvalue(gram) + s.l2));
  const float l2 = static_cast<float>(s.l2), inv_n = 1.0f / static_cast<float>(n);
  Eigen::MatrixXf W = Eigen::MatrixXf::Zero(d + 1, n_classes), V = W, G, P, next;
  double t = 1.0;
  for (int it = 0; it < s.iterations; ++it) {
    P.noalias() = Z * V;
    softmax_rows(P);
    P -= Y;
    G.noalias() = Z.transpose() * P;
    G *= inv_n;
    G.topRows(d) += l2 * V.topRows(d);  // the bias is not regularised
    next = V - step * G;
    const double t_next = (1.0 + std::sqrt(1.0 + 4.0 * t * t)) / 2.0;
    V = next + static_cast<float>((t - 1.0) / t_next) * (next - W);
    W = next;
    t = t_next;
  }
  p.W = W.cast<double>();
  return p;
}

std::vector<int> probe_predict(const LogisticProbe& probe, const Eigen::MatrixXd& X) {
  const Eigen::MatrixXf logits = standardised_with_bias(probe, X) * probe.W.cast<float>();
  std::vector<int> out(X.rows());
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    Eigen::Index best = 0;
    logits.row(i).maxCoeff(&best);
    out[i] = static_cast<int>(best);
  }
  return out;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& truth) {
  if (predicted.size() != truth.size()) throw Error("probe accuracy: predictions and labels differ in number");
  if (truth.empty()) return std::nan("");
  size_t right = 0;
  for (size_t i = 0; i < truth.size(); ++i) right += predicted[i] == truth[i];
  return static_cast<double>(right) / static_cast<double>(truth.size());
}

}  // namespace strata
