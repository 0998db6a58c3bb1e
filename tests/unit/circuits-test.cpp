// Circuits on the hand-set model of sweep-model.h (MLP 0 recalls, L1H0
// copies: they separate) and on its variant where one head serves both
// families (they cannot separate); the percentile bootstrap against
// independent computations; the seeded draws.
#include <catch2/catch.hpp>
#include <cmath>

#include "analysis/bootstrap.h"
#include "analysis/circuits.h"
#include "analysis/seeded-random.h"
#include "base/error.h"
#include "sweep-model.h"

using namespace strata;
using nlohmann::json;
using strata::testing::shared_suite;
using strata::testing::sweep_model;
using strata::testing::sweep_suite;

namespace {

json circuits(const Session& session, const Suite& suite, json settings) {
  // selection: items 0..2 of each kind; evaluation: 3..5
  if (!settings.contains("items_per_kind")) settings["items_per_kind"] = 3;
  if (!settings.contains("eval_items_per_kind")) settings["eval_items_per_kind"] = 3;
  AnalysisRequest request{session, &suite, 9, std::move(settings), {}};
  return run_circuits(request);
}

}  // namespace

// --- circuits ------------------------------------------------------------------

TEST_CASE("the recall and reasoning circuits of a model that separates them", "[circuits]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  for (const std::string method : {"mean", "zero", "resample"}) {
    INFO("method " << method);
    const json r = circuits(session, suite, {{"method", method}});
    CHECK(r["circuits"]["recall"]["components"] == json({"L0 mlp"}));
    CHECK(r["circuits"]["reasoning"]["components"] == json({"L1H0"}));
    CHECK(r["separation"]["holds"] == true);
    CHECK(r["separation"]["statement"].get<std::string>().rfind("Separated. The recall circuit (1 component) drops "
                                                                "recall by 100.0 points and reasoning by 0.0 points",
                                                                0) == 0);
    CHECK(r["candidates"].size() == 2 + 4);
    CHECK(r["selection_items"]["kinds"][0]["n"] == 3);
    CHECK(r["evaluation_items"]["kinds"][0]["n"] == 3);

    const json& recall = r["circuits"]["recall"]["evaluation"];
    CHECK(recall["recall"]["n"] == 3);
    CHECK(recall["recall"]["baseline"] == json::parse(R"({"accuracy": 1.0, "ci": [1.0, 1.0]})"));
    CHECK(recall["recall"]["ablated"] == json::parse(R"({"accuracy": 0.0, "ci": [0.0, 0.0]})"));
    CHECK(recall["recall"]["drop"] == json::parse(R"({"value": 1.0, "ci": [1.0, 1.0]})"));
    CHECK(recall["reasoning"]["drop"] == json::parse(R"({"value": 0.0, "ci": [0.0, 0.0]})"));
    const json& reasoning = r["circuits"]["reasoning"]["evaluation"];
    CHECK(reasoning["reasoning"]["drop"]["value"] == 1.0);
    CHECK(reasoning["recall"]["drop"]["value"] == 0.0);
  }
  const json blocks = circuits(session, suite, {{"candidates", "attn_mlps"}});
  CHECK(blocks["circuits"]["recall"]["components"] == json({"L0 mlp"}));
  CHECK(blocks["circuits"]["reasoning"]["components"] == json({"L1 attn"}));
  CHECK(blocks["separation"]["holds"] == true);
}

TEST_CASE("a model whose one head serves both families does not separate, and says so", "[circuits]") {
  const Session session(sweep_model(/*shared=*/true));
  const Suite suite = shared_suite();
  const json r = circuits(session, suite, {{"method", "zero"}});
  CHECK(r["circuits"]["recall"]["components"] == json::array());
  CHECK(r["circuits"]["reasoning"]["components"] == json::array());
  // L1H0 alone drops both families completely
  for (const json& c : r["candidates"])
    if (c["label"] == "L1H0") CHECK(c["drop"] == json({{"recall", 1.0}, {"reasoning", 1.0}}));
  // every candidate was tried and refused
  CHECK(r["circuits"]["recall"]["steps"].size() == 6);
  CHECK(r["separation"]["holds"] == false);
  CHECK(r["separation"]["statement"] ==
        "Not separated. The recall circuit (0 components) drops recall by 0.0 points (needs at least 30.0, short by "
        "30.0) and reasoning by 0.0 points: it fails. The reasoning circuit (0 components) drops reasoning by 0.0 "
        "points (needs at least 30.0, short by 30.0) and recall by 0.0 points: it fails. (Thresholds: at least 30 "
        "points on the target family, at most 5 on the other, on the evaluation items.)");
  // with no limit on the other family, the shared head joins both circuits and the verdict names the collateral
  const json loose = circuits(session, suite, {{"method", "zero"}, {"max_other_drop", 1.0}});
  CHECK(loose["circuits"]["recall"]["components"] == json({"L1H0"}));
  CHECK(loose["separation"]["statement"].get<std::string>().find(
            "The recall circuit (1 component) drops recall by 100.0 points and reasoning by 100.0 points (allowed at "
            "most 5.0, over by 95.0): it fails.") != std::string::npos);
}

TEST_CASE("circuits are reproducible and their settings are checked", "[circuits]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  CHECK(circuits(session, suite, {{"method", "resample"}}).dump() ==
        circuits(session, suite, {{"method", "resample"}}).dump());
  auto fails = [&](json settings, const std::string& message) {
    INFO(settings.dump());
    CHECK_THROWS_WITH(circuits(session, suite, std::move(settings)), Catch::Contains(message));
  };
  fails({{"target_drop", 2}}, "circuits.target_drop: expected a number in [0.0, 1.0], found 2");
  fails({{"candidates", "neurons"}}, "circuits.candidates: expected one of");
  fails({{"bootstrap_samples", 10}}, "circuits.bootstrap_samples");
  fails({{"shard", {0, 2}}}, "circuits.shard: unknown setting");
  fails({{"kinds", {"fact"}}}, "circuits.kinds: needs recall and reasoning kinds");
  fails({{"eval_items_per_kind", 0}}, "circuits.eval_items_per_kind");
  fails({{"items_per_kind", 6}}, "circuits: kind \"copy\" has no heldout items after the first 6");
}

// --- bootstrap -----------------------------------------------------------------

TEST_CASE("a constant sample has a degenerate bootstrap interval", "[bootstrap]") {
  const Interval i = bootstrap_mean_interval(std::vector<double>(17, 0.625), 1000, 0.95, 4);
  CHECK(i.lower == 0.625);
  CHECK(i.upper == 0.625);
}

TEST_CASE("type-7 quantiles", "[bootstrap]") {
  const std::vector<double> x = {1, 2, 3, 4};
  CHECK(quantile_sorted(x, 0.0) == 1.0);
  CHECK(quantile_sorted(x, 1.0) == 4.0);
  CHECK(quantile_sorted(x, 0.5) == 2.5);
  CHECK(quantile_sorted(x, 0.25) == 1.75);
  CHECK(quantile_sorted({7}, 0.3) == 7.0);
}

TEST_CASE("the bootstrap interval of a 0/1 sample matches the binomial quantiles", "[bootstrap]") {
  // Resampling n items of which k are 1 makes the resampled mean Binomial(n, k/n) / n.
  const int n = 20, k = 14, B = 20000;
  std::vector<double> sample(n, 0.0);
  for (int i = 0; i < k; ++i) sample[i] = 1.0;
  const double p = static_cast<double>(k) / n;
  std::vector<double> cdf;
  double acc = 0;
  for (int j = 0; j <= n; ++j) {
    acc += std::exp(std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0) + j * std::log(p) +
                    (n - j) * std::log(1 - p));
    cdf.push_back(acc);
  }
  auto binomial_quantile = [&](double q) {
    int j = 0;
    while (cdf[j] < q) ++j;
    // the empirical quantile of B draws is this one only if the CDF is not too close to q on either side
    REQUIRE(std::abs(cdf[j] - q) > 0.005);
    if (j > 0) REQUIRE(std::abs(cdf[j - 1] - q) > 0.005);
    return static_cast<double>(j) / n;
  };
  const Interval i = bootstrap_mean_interval(sample, B, 0.95, 21);
  CHECK(i.lower == binomial_quantile(0.025));
  CHECK(i.upper == binomial_quantile(0.975));
}

TEST_CASE("the bootstrap follows its stated procedure", "[bootstrap]") {
  const std::vector<double> sample = {0.3, 1.7, -2.0, 4.5, 0.0, 2.2, 9.1};
  const int B = 999;
  // independently: the documented draws, the means, sorted, interpolated
  SeededRandom rng(77);
  std::vector<double> means;
  for (int b = 0; b < B; ++b) {
    double s = 0;
    for (size_t i = 0; i < sample.size(); ++i) s += sample[rng.index(sample.size())];
    means.push_back(s / sample.size());
  }
  std::sort(means.begin(), means.end());
  const double h_lo = 0.05 * (B - 1), h_hi = 0.95 * (B - 1);  // level 0.9
  const double lo = means[size_t(h_lo)] + (h_lo - std::floor(h_lo)) * (means[size_t(h_lo) + 1] - means[size_t(h_lo)]);
  const double hi = means[size_t(h_hi)] + (h_hi - std::floor(h_hi)) * (means[size_t(h_hi) + 1] - means[size_t(h_hi)]);
  const Interval i = bootstrap_mean_interval(sample, B, 0.9, 77);
  CHECK(i.lower == Approx(lo).margin(1e-12));
  CHECK(i.upper == Approx(hi).margin(1e-12));
  CHECK(i.lower < i.upper);
  CHECK_THROWS_WITH(bootstrap_mean_interval({}, B, 0.9, 1), Catch::Contains("no items"));
  CHECK_THROWS_WITH(bootstrap_mean_interval(sample, B, 1.0, 1), Catch::Contains("bootstrap: level"));
}

TEST_CASE("seeded draws are uniform and normal", "[bootstrap]") {
  SeededRandom rng(2026);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) ++counts[rng.index(6)];
  for (int c : counts) CHECK(std::abs(c - 10000) < 400);  // 4 standard deviations
  double sum = 0, sum_sq = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x;
    sum_sq += x * x;
  }
  CHECK(std::abs(sum / n) < 0.013);  // 4 standard errors
  CHECK(sum_sq / n == Approx(1.0).margin(0.02));
  CHECK(derived_seed(1, 1) != derived_seed(1, 2));
  CHECK(derived_seed(1, 1) != derived_seed(2, 1));
}
