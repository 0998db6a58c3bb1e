// Logistic-regression probes: separable data is learnt exactly, random labels
// stay at chance, the random model is built as stated, and the probes
// analysis on the hand-set model decodes what the model was built to carry.
#include <catch2/catch.hpp>
#include <cmath>
#include <chrono>
#include <iostream>

#include "analysis/study/probes.h"
#include "analysis/shared/statistics.h"
#include "base/seeded-random.h"
#include "io/files.h"
#include "magnet-model.h"
#include "model/forward.h"

using namespace strata;
using nlohmann::json;
using strata::testing::magnet_model;
using strata::testing::magnet_suite;

namespace {

// n points per class around class centres 4·e_c, with unit-variance noise, in d dims.
void clusters(int n, int classes, int d, uint64_t seed, Eigen::MatrixXd& X, std::vector<int>& y) {
  PortableRandom rng(seed);
  X.resize(n * classes, d);
  y.clear();
  for (int c = 0; c < classes; ++c)
    for (int i = 0; i < n; ++i) {
      const int row = c * n + i;
      for (int k = 0; k < d; ++k) X(row, k) = 0.5 * rng.normal() + (k == c ? 4.0 : 0.0);
      y.push_back(c);
    }
}

}  // namespace

TEST_CASE("a probe learns linearly separable classes exactly", "[probes]") {
  Eigen::MatrixXd X, T;
  std::vector<int> y, t;
  clusters(60, 3, 10, 1, X, y);
  clusters(30, 3, 10, 2, T, t);
  const LogisticProbe p = fit_probe(X, y, 3, {});
  CHECK(accuracy(probe_predict(p, X), y) == 1.0);
  CHECK(accuracy(probe_predict(p, T), t) == 1.0);
  // binary, separable only along one direction among 20 noise dims
  clusters(100, 2, 20, 3, X, y);
  clusters(50, 2, 20, 4, T, t);
  const LogisticProbe b = fit_probe(X, y, 2, {});
  CHECK(accuracy(probe_predict(b, T), t) == 1.0);
}

TEST_CASE("a probe on random labels stays near chance on held-out items", "[probes]") {
  PortableRandom rng(9);
  const int n = 400, d = 20;
  Eigen::MatrixXd X(n, d), T(n, d);
  std::vector<int> y, t;
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < d; ++k) {
      X(i, k) = rng.normal();
      T(i, k) = rng.normal();
    }
    y.push_back(static_cast<int>(rng.below(2)));
    t.push_back(static_cast<int>(rng.below(2)));
  }
  const LogisticProbe p = fit_probe(X, y, 2, {});
  const double train = accuracy(probe_predict(p, X), y), test = accuracy(probe_predict(p, T), t);
  INFO("train " << train << ", test " << test);
  CHECK(train > test);              // it fits noise in training...
  CHECK(std::abs(test - 0.5) < 0.1);  // ...which does not carry over (0.1 = 4 standard errors at n = 400)
}

TEST_CASE("fit_probe refuses labels out of range", "[probes]") {
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(2, 3);
  CHECK_THROWS_WITH(fit_probe(X, {0, 2}, 2, {}), Catch::Contains("probe: label: expected in [0, 2), found 2"));
}

TEST_CASE("the random copy has the model's shapes, unit norms, zero biases and seeded weights", "[probes]") {
  const Model m = magnet_model();
  const Model r = random_copy(m, 11, 0.02);
  const LayerWeights &L = m.weights.layers[0], &R = r.weights.layers[0];
  CHECK(r.weights.W_E.rows() == m.weights.W_E.rows());
  CHECK(r.weights.W_E.cols() == m.weights.W_E.cols());
  CHECK(R.W_Q.rows() == L.W_Q.rows());
  CHECK(R.W_out.cols() == L.W_out.cols());
  CHECK(R.ln1_w.isOnes());
  CHECK(R.b_Q.isZero());
  CHECK(R.b_Q.size() == L.b_Q.size());
  CHECK(r.weights.W_U.size() == 0);  // tied, as the model
  const double sd = std::sqrt(R.W_in.f32().squaredNorm() / R.W_in.size());
  CHECK(sd == Approx(0.02).epsilon(0.3));  // 32 draws
  CHECK(random_copy(m, 11, 0.02).weights.W_E.f32() == r.weights.W_E.f32());
  CHECK(random_copy(m, 12, 0.02).weights.W_E.f32() != r.weights.W_E.f32());
  CHECK(run(r, {0, 1, 2}).logits.allFinite());
}

TEST_CASE("the random copy of a 16-bit model is BF16, the f32 copy's draws rounded", "[probes]") {
  Model m = magnet_model();
  const Model wide = random_copy(m, 11, 0.02);
  m.weights.layers[0].W_in = WeightMatrix(Precision::F16, m.weights.layers[0].W_in.rows(), m.weights.layers[0].W_in.cols(),
                                          std::vector<uint16_t>(static_cast<size_t>(m.weights.layers[0].W_in.size()), 0));
  const Model narrow = random_copy(m, 11, 0.02);
  const WeightMatrix& W = narrow.weights.layers[0].W_in;
  REQUIRE(W.precision() == Precision::BF16);
  CHECK(narrow.weights.W_E.precision() == Precision::F32);
  const Mat expected = wide.weights.layers[0].W_in.f32();
  const Mat got = W.widened();
  for (Eigen::Index i = 0; i < got.size(); ++i) {
    INFO(i);
    CHECK(got.data()[i] == bf16_to_f32(f32_to_bf16(expected.data()[i])));
    CHECK(std::fabs(got.data()[i] - expected.data()[i]) <= std::fabs(expected.data()[i]) / 256);  // 8 bits of mantissa
  }
}

TEST_CASE("probes on the hand-set model decode the family at every boundary", "[probes]") {
  const Session session(magnet_model());
  const Suite suite = magnet_suite(40);
  AnalysisRequest request{session, &suite, 7, {{"split", "all"}, {"items_per_kind", 0}}, {}};
  const json r = run_probes(request);
  INFO(r.dump(1).substr(0, 3000));
  CHECK(r["boundaries"] == json({"blocks.0.hook_resid_pre", "blocks.0.hook_resid_post"}));
  CHECK(r["test_items"] == 16);  // ceil(0.2 · 40) per kind
  CHECK(r["train_items"] == 64);
  // the last token is A or B: the family is linearly readable at both boundaries
  for (const json& b : r["family"]["trained"]) {
    CHECK(b["test_accuracy"] == 1.0);
    CHECK(b["selectivity"].get<double>() == Approx(1.0 - b["control_accuracy"].get<double>()));
  }
  CHECK(r["family"]["random"].size() == 2);
  // The control reads the probed token's type: every prompt ends in A or B, one type per
  // family, so the control labels can be learnt exactly from the same position.
  for (const json& b : r["family"]["trained"]) {
    INFO(b.dump());
    // beside every accuracy, the random model's, and selectivity against it
    REQUIRE(b["random_accuracy"].is_number());
    CHECK(b["selectivity_vs_random"].get<double>() ==
          Approx(b["test_accuracy"].get<double>() - b["random_accuracy"].get<double>()));
  }
  CHECK(r["answer"]["classes"] == json({"f1", "f2", "f3", "f4"}));
  CHECK(r.dump() == run_probes(request).dump());
  AnalysisRequest bad{session, &suite, 7, {{"test_fraction", 0.9}}, {}};
  CHECK_THROWS_WITH(run_probes(bad), Catch::Contains("probes.test_fraction: expected a number in [0.05, 0.5], found 0.9"));
}

TEST_CASE("a probe with nothing to score reports null and why, never 0", "[probes]") {
  CHECK(std::isnan(accuracy({}, {})));
  // one item per kind: every item trains, none is left to test
  const Session session(magnet_model());
  Suite suite = magnet_suite(2);
  for (SuiteItem& item : suite.items) {
    item.kind = item.id;
    suite.kinds[item.id] = {item.family, false};
  }
  const json r = run_probes(AnalysisRequest{session, &suite, 7, {{"split", "all"}}, {}});
  CHECK(r["test_items"] == 0);
  CHECK(r["family"]["majority_accuracy"].is_null());
  CHECK(r["family"]["majority_accuracy_reason"] == "no test items");
  for (const json& b : r["family"]["trained"]) {
    CHECK(b["test_accuracy"].is_null());
    CHECK(b["selectivity"].is_null());
    CHECK(b["reason"] == "no test items");
    CHECK(b["selectivity_vs_random"].is_null());
  }
}

TEST_CASE("the control task reads the type of the probed token", "[probes]") {
  // Prompts that end in the same token but differ before it: a control keyed on the
  // token before the last would vary; keyed on the probed (last) token it is one label,
  // so the control probe predicts it everywhere.
  const Session session(magnet_model());
  const Suite suite = magnet_suite(40);
  const json r = run_probes(AnalysisRequest{session, &suite, 7, {{"split", "all"}}, {}});
  for (const json& b : r["answer"]["trained"]) CHECK(b["control_accuracy"].get<double>() == 1.0);
  CHECK(r["answer"]["control_types"] == 2);  // A and B
  CHECK(r["control"].get<std::string>().find("the last one") != std::string::npos);
}

TEST_CASE("probes on the shipped models", "[.shipped]") {
  for (const std::string name : {"tiny-gpt2-world2", "tiny-llama-world2"}) {
    const std::string dir = std::string(STRATA_SOURCE_DIR) + "/models/" + name;
    const Session session(load_model_dir(dir));
    const Suite suite = parse_suite(read_file_text(dir + "/suite.json"), dir + "/suite.json");
    AnalysisRequest r{session, &suite, 0, json::object(), {}};
    const auto t0 = std::chrono::steady_clock::now();
    const json p = run_probes(r);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "== " << name << ": probes " << seconds << " s, train " << p["train_items"] << ", test "
              << p["test_items"] << ", answer classes " << p["answer"]["classes"].size() << ", majority family "
              << p["family"]["majority_accuracy"] << ", answer " << p["answer"]["majority_accuracy"] << "\n";
    for (const std::string task : {"family", "answer"})
      for (const std::string model : {"trained", "random"})
        for (const json& b : p[task][model])
          std::cout << task << " " << model << " " << b["boundary"].get<std::string>() << ": test "
                    << b["test_accuracy"] << " control " << b["control_accuracy"] << " selectivity "
                    << b["selectivity"] << (task == "answer" ? " recall " + b["test_accuracy_recall"].dump() +
                                                                   " reasoning " + b["test_accuracy_reasoning"].dump()
                                                             : std::string())
                    << "\n";
  }
}
