// Circuits on hand-set models (circuit-model.h): one that separates recall
// from reasoning by construction, one whose single head serves both, a random
// one, and one whose best recall circuit a greedy search misses; the
// percentile bootstrap against independent computations; the seeded draws.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "analysis/shared/bootstrap.h"
#include "analysis/circuits/circuits.h"
#include "analysis/registry.h"
#include "base/seeded-random.h"
#include "base/error.h"
#include "circuit-model.h"

using namespace strata;
using nlohmann::json;
using namespace strata::testing;

namespace {

// 4 + 4 items of each kind select and validate, 16 are tested, the first 4 of those carry the null.
json circuits(const Session& session, const Suite& suite, json settings, uint64_t seed = 9) {
  const json small = {{"selection_items_per_kind", 4},
                      {"validation_items_per_kind", 4},
                      {"null_items_per_kind", 4},
                      {"bootstrap_samples", 500}};
  for (const auto& [key, value] : small.items())
    if (!settings.contains(key)) settings[key] = value;
  AnalysisRequest request{session, &suite, seed, std::move(settings), {}};
  return run_circuits(request);
}

std::vector<std::string> labels_of(const json& components) {
  std::vector<std::string> out;
  for (const json& c : components) out.push_back(c["label"]);
  return out;
}

std::vector<std::string> labels_of_strings(const json& labels) { return labels.get<std::vector<std::string>>(); }

bool has(const std::vector<std::string>& v, const std::string& x) { return std::count(v.begin(), v.end(), x) > 0; }

}  // namespace

// --- circuits ------------------------------------------------------------------

TEST_CASE("a model that separates recall from reasoning by construction is found separated", "[circuits]") {
  const Session session(sweep_model());
  const Suite suite = circuit_suite();
  for (const std::string ablation : {"resample", "mean", "zero"}) {
    INFO("ablation " << ablation);
    // size 1: the model has two MLPs, so a circuit of both would have no random circuit of its mix
    const json r = circuits(session, suite, {{"ablation", ablation}, {"max_size", 1}});
    INFO(r["statement"].get<std::string>());
    const std::vector<std::string> recall = labels_of(r["circuits"]["recall"]["components"]);
    const std::vector<std::string> reasoning = labels_of(r["circuits"]["reasoning"]["components"]);
    CHECK(has(recall, "L0 mlp"));
    CHECK_FALSE(has(recall, "L1H0"));
    CHECK(has(reasoning, "L1H0"));
    CHECK_FALSE(has(reasoning, "L0 mlp"));
    CHECK(r["separated"] == true);
    CHECK(r["statement"].get<std::string>().rfind("Separated on the test items: the recall circuit", 0) == 0);
    const json& t = r["circuits"]["recall"]["test"];
    CHECK(t["recall"]["n"] == 16);
    CHECK(t["recall"]["effect_ci"][0].get<double>() >= 30);
    CHECK(t["reasoning"]["effect_ci"][1].get<double>() <= 5);
    CHECK(t["recall"]["accuracy"]["intact"] == 1.0);
    CHECK(t["recall"]["accuracy"]["chance"] == Approx(1.0 / 6));
    // no reasoning item changed: the drop's interval is the exact binomial bound, not a collapsed bootstrap
    CHECK(t["reasoning"]["drop"] == 0.0);
    CHECK(t["reasoning"]["ci"][0] == 0.0);
    CHECK(t["reasoning"]["ci"][1].get<double>() == Approx(100 * (1 - std::pow(0.025, 1.0 / 16)) / (1 - 1.0 / 6)));
    CHECK(r["circuits"]["reasoning"]["null"]["percentile"].get<double>() >= 95);
    CHECK(r["contrast"]["ci"][0].get<double>() > 0);
    CHECK(r["test_items"].size() == 32);
    // the test items: 16 of each kind, each once (the other 8 selected and validated on)
    const std::vector<std::string> tested = r["test_items"];
    CHECK(std::set<std::string>(tested.begin(), tested.end()).size() == 32);
    CHECK(std::count_if(tested.begin(), tested.end(), [](const std::string& id) { return id.rfind("copy-", 0) == 0; }) == 16);
    CHECK(r["items"]["null"]["kinds"][0]["n"] == 4);
    CHECK(r["method"]["search"] == "exhaustive");
    CHECK(r["candidates"].size() == 6);
  }
}

TEST_CASE("components are reported in the vocabulary of strata run --intervene", "[circuits]") {
  const Session session(sweep_model());
  const json r = circuits(session, circuit_suite(), {{"restricted", true}, {"max_size", 1}});
  CHECK(r["candidates"].size() == 6 + 4 + 2);
  CHECK(r["candidates"][0]["component"] == json({{"label", "L0H0"}, {"hook", "blocks.0.attn.hook_z"}, {"head", 0}}));
  CHECK(r["candidates"][2]["component"] == json({{"label", "L0 mlp"}, {"hook", "blocks.0.hook_mlp_out"}}));
  CHECK(r["candidates"][6]["component"] ==
        json({{"label", "L0H0 @last"}, {"hook", "blocks.0.attn.hook_z"}, {"head", 0}, {"positions", {3}}}));
  CHECK(r["candidates"][8]["component"] ==
        json({{"label", "L0 mlp @subject"}, {"hook", "blocks.0.hook_mlp_out"}, {"positions", {3}}}));
  // MLP 0 at the subject position is the recall path: it is as good as the whole MLP
  const json& alone = r["candidates"][8]["selection"];
  CHECK(alone["recall"].get<double>() > 90);
  CHECK(std::abs(alone["reasoning"].get<double>()) < 5);
}

TEST_CASE("a model whose one head serves both families is not separated, and says why", "[circuits]") {
  const Session session(sweep_model(/*shared=*/true));
  const json r = circuits(session, shared_circuit_suite(), {{"ablation", "zero"}});
  const std::string statement = r["statement"];
  INFO(statement);
  CHECK(r["separated"] == false);
  CHECK(statement.rfind("Not separated on the test items: ", 0) == 0);
  // L1H0 alone takes both families to chance
  for (const json& c : r["candidates"])
    if (c["component"]["label"] == "L1H0") {
      CHECK(c["selection"]["recall"].get<double>() > 90);
      CHECK(c["selection"]["reasoning"].get<double>() > 90);
    }
  // whichever circuits were chosen, a target or collateral bound is named as failing, with its numbers
  CHECK((statement.find("lower bound under 30.0") != std::string::npos ||
         statement.find("upper bound over 5.0") != std::string::npos));
  CHECK(statement.find(" points [") != std::string::npos);
}

TEST_CASE("a randomly initialised model is not separated", "[circuits]") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const Session session(random_model(seed));
    const json r = circuits(session, circuit_suite(), {});
    INFO("seed " << seed << ": " << r["statement"].get<std::string>());
    CHECK(r["separated"] == false);
    CHECK(r["statement"].get<std::string>().rfind("Not separated", 0) == 0);
  }
}

TEST_CASE("the exhaustive search finds the best subset where a greedy one does not", "[circuits]") {
  const Session session(backup_model());
  const Suite suite = circuit_suite();
  // Resampled, not mean-ablated: a kind's mean over a few drawn items whose
  // subjects repeat still carries those subjects' attributes.
  const json settings = {{"ablation", "resample"}, {"max_size", 2}};
  const json exhaustive = circuits(session, suite, settings);
  INFO(exhaustive.dump(1));
  CHECK(exhaustive["method"]["search"] == "exhaustive");
  CHECK(labels_of(exhaustive["circuits"]["recall"]["components"]) == std::vector<std::string>{"L0 mlp", "L1 mlp"});
  // alone, neither MLP carries recall (each backs the other up) and the decoy head matters most
  const json& c = exhaustive["candidates"];
  auto alone = [&](size_t i) { return c[i]["selection"]["recall"].get<double>(); };
  CHECK(alone(4) > alone(2));  // L1H1 (the decoy) over L0 mlp
  CHECK(alone(4) > alone(5));  // and over L1 mlp
  CHECK(alone(2) < 30);
  CHECK(alone(5) < 30);

  json greedy_settings = settings;
  greedy_settings["search_budget"] = 0;
  const json greedy = circuits(session, suite, greedy_settings);
  CHECK(greedy["method"]["search"] == "greedy");
  const std::vector<std::string> found = labels_of(greedy["circuits"]["recall"]["components"]);
  CHECK(found != std::vector<std::string>{"L0 mlp", "L1 mlp"});
  // on the selection items, the best pair is far better than the pair the greedy path reached
  const json& best_pair = exhaustive["circuits"]["recall"]["sizes"][1];
  const json& greedy_pair = greedy["circuits"]["recall"]["sizes"][1];
  CHECK(labels_of_strings(best_pair["components"]) == std::vector<std::string>{"L0 mlp", "L1 mlp"});
  CHECK(has(labels_of_strings(greedy_pair["components"]), "L1H1"));  // the decoy came first
  CHECK(best_pair["selection"]["objective"].get<double>() > greedy_pair["selection"]["objective"].get<double>() + 5);
}

TEST_CASE("circuits are reproducible byte for byte and their settings are checked", "[circuits]") {
  const Session session(sweep_model());
  const Suite suite = circuit_suite();
  const std::string once = circuits(session, suite, {}).dump();
  CHECK(once == circuits(session, suite, {}).dump());
  CHECK(once != circuits(session, suite, {}, 10).dump());  // another seed draws other donors
  CHECK(circuits(session, suite, {{"reuse_cache", false}})["circuits"] == circuits(session, suite, {})["circuits"]);
  auto fails = [&](json settings, const std::string& message) {
    INFO(settings.dump());
    CHECK_THROWS_WITH(circuits(session, suite, std::move(settings)), Catch::Contains(message));
  };
  fails({{"max_size", 9}}, "circuits.max_size: expected an integer in [1, 8], found 9");
  fails({{"candidates", "neurons"}}, "circuits.candidates: expected one of");
  fails({{"ablation", "noise"}}, "circuits.ablation: expected one of");
  fails({{"bootstrap_samples", 10}}, "circuits.bootstrap_samples");
  fails({{"method", "mean"}}, "circuits.method: unknown setting");
  fails({{"kinds", {"fact"}}}, "circuits.kinds: needs recall and reasoning kinds");
  fails({{"selection_items_per_kind", 12}, {"validation_items_per_kind", 12}},
        "circuits: kind \"copy\" has no heldout items after the first 24");
  fails({{"selection_items_per_kind", 20}, {"validation_items_per_kind", 2}, {"null_items_per_kind", 2},
         {"test_items_per_kind", 1}},
        "resample ablation needs at least 2 items of every kind");
}

TEST_CASE("the registry lists the circuits defaults the analysis runs with", "[circuits]") {
  const json d = circuits_defaults();
  CHECK(d["ablation"] == "resample");
  for (const json& entry : analysis_list_json())
    if (entry["name"] == "circuits") CHECK(entry["defaults"] == d);
  const Session session(sweep_model());
  const json r = circuits(session, circuit_suite(), {});
  // "answered" and "budget_seconds" are echoed only when set, as the sweeps echo them
  CHECK(d["answered"] == "right");
  CHECK(d["budget_seconds"] == 0.0);
  CHECK(!r["settings"].contains("answered"));
  CHECK(!r["settings"].contains("budget_seconds"));
  for (const auto& [key, value] : d.items())
    if (key != "selection_items_per_kind" && key != "validation_items_per_kind" && key != "null_items_per_kind" &&
        key != "bootstrap_samples" && key != "answered" && key != "budget_seconds")
      CHECK(r["settings"][key] == value);
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

TEST_CASE("the stratified bootstrap resamples each stratum within itself, as stated", "[bootstrap]") {
  const std::vector<double> a = {1, 2, 3, 10}, b = {0, 0, 5};
  const int B = 501;
  SeededRandom rng(5);
  std::vector<double> diffs;
  for (int r = 0; r < B; ++r) {
    double sa = 0, sb = 0;
    for (size_t i = 0; i < a.size(); ++i) sa += a[rng.index(a.size())];
    for (size_t i = 0; i < b.size(); ++i) sb += b[rng.index(b.size())];
    diffs.push_back(sa / a.size() - sb / b.size());
  }
  std::sort(diffs.begin(), diffs.end());
  const StratifiedStatistic diff = [&](const std::vector<std::vector<size_t>>& idx) {
    double sa = 0, sb = 0;
    for (size_t i : idx[0]) sa += a[i];
    for (size_t i : idx[1]) sb += b[i];
    return sa / idx[0].size() - sb / idx[1].size();
  };
  const StratifiedStatistic never = [](const std::vector<std::vector<size_t>>&) { return std::nan(""); };
  const std::vector<Interval> i = stratified_bootstrap({a.size(), b.size()}, B, 0.95, 5, {diff, never});
  CHECK(i[0].lower == Approx(quantile_sorted(diffs, 0.025)).margin(1e-12));
  CHECK(i[0].upper == Approx(quantile_sorted(diffs, 0.975)).margin(1e-12));
  CHECK(std::isnan(i[1].lower));
  CHECK_THROWS_WITH(stratified_bootstrap({3, 0}, B, 0.95, 5, {diff}), Catch::Contains("no items"));
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
