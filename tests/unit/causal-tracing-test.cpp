// Causal tracing on the hand-set model of sweep-model.h, whose recall items
// have the subject (the entity) at the last position: restoring the clean
// embedding of the subject, or the final residual, restores everything;
// states at positions before the subject carry nothing; MLP 0 at the subject
// restores most of it; the noise has the stated scale and seed.
#include <catch2/catch.hpp>
#include <cmath>

#include "analysis/sweeps/causal-tracing.h"
#include "base/error.h"
#include "sweep-model.h"

using namespace strata;
using nlohmann::json;
using strata::testing::merged_units;
using strata::testing::sweep_model;
using strata::testing::sweep_suite;

namespace {

json trace(const Session& session, const Suite& suite, json settings, uint64_t seed = 5) {
  AnalysisRequest request{session, &suite, seed, std::move(settings), {}};
  return run_causal_tracing(request);
}

const json& unit_of(const json& result, const std::string& label) {
  for (const json& u : result["units"])
    if (u["label"] == label) return u;
  FAIL("no unit " << label);
  static json none;
  return none;
}

double effect(const json& result, const std::string& label) {
  return unit_of(result, label)["indirect_effect"]["all"].get<double>();
}

}  // namespace

TEST_CASE("causal tracing identities hold", "[causal-tracing]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const json r = trace(session, suite, json::object());
  CHECK(testing::kinds_without_ids(r["items"]) == json::parse(R"([{"family":"recall","kind":"fact","n":6,"split":"trained"}])"));
  CHECK(r["subject_fraction"] == json({0.0, 0.0, 0.0, 1.0}));
  REQUIRE(r["n_units"] == 3 * 4 + 2 * 4 + 2 * 4);
  const double p_clean = r["baseline"]["all"]["p_clean"], p_corrupt = r["baseline"]["all"]["p_corrupt"];
  INFO("p_clean " << p_clean << ", p_corrupt " << p_corrupt);
  CHECK(p_clean > 0.9);
  CHECK(p_corrupt < p_clean - 0.3);  // three embedding stds of noise hide the entity
  const double total = p_clean - p_corrupt;
  // the subject's clean embedding, or the final residual at the last position, is the whole clean run
  CHECK(effect(r, "resid 0 @3") == Approx(total).margin(1e-12));
  CHECK(effect(r, "resid 1 @3") == Approx(total).margin(1e-12));
  CHECK(effect(r, "resid 2 @3") == Approx(total).margin(1e-12));
  CHECK(unit_of(r, "resid 2 @3")["restored_prob"]["all"].get<double>() == Approx(p_clean).margin(1e-12));
  // positions before the subject never see the noise: restoring them changes nothing
  for (int p = 0; p < 3; ++p)
    for (const std::string label : {"resid 0", "resid 1", "resid 2", "L0 mlp", "L1 mlp", "L0 attn", "L1 attn"}) {
      INFO(label << " @" << p);
      CHECK(effect(r, label + " @" + std::to_string(p)) == 0.0);
    }
  // the recall path: MLP 0 at the subject brings most of the answer back; the junk MLP 1 little
  CHECK(effect(r, "L0 mlp @3") > 0.8 * total);
  CHECK(std::abs(effect(r, "L1 mlp @3")) < 0.2 * total);
  const json& mlp = unit_of(r, "L0 mlp @3");
  CHECK(mlp["hooks"] == json({"blocks.0.hook_mlp_out"}));
  CHECK(mlp["layers"] == json::array({0}));
  CHECK(mlp["position"] == 3);
}

TEST_CASE("causal tracing noise is three subject-embedding stds, drawn from the seed", "[causal-tracing]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const json a = trace(session, suite, {{"levels", {"resid"}}}, 5);
  // every subject embedding is a one-hot row of 48 dims: mean 1/48, variance 1/48 - 1/48^2
  const double sigma = std::sqrt(1.0 / 48 - 1.0 / (48.0 * 48.0));
  CHECK(a["embedding_std"].get<double>() == Approx(sigma).epsilon(1e-9));
  CHECK(a["noise_std"].get<double>() == Approx(3 * sigma).epsilon(1e-9));
  CHECK(trace(session, suite, {{"levels", {"resid"}}}, 5).dump() == a.dump());
  const json b = trace(session, suite, {{"levels", {"resid"}}}, 6);
  CHECK(b["baseline"]["all"]["p_corrupt"] != a["baseline"]["all"]["p_corrupt"]);
  CHECK(b["baseline"]["all"]["p_clean"] == a["baseline"]["all"]["p_clean"]);
  const json quiet = trace(session, suite, {{"levels", {"resid"}}, {"noise", 0}});
  CHECK(quiet["baseline"]["all"]["p_corrupt"] == quiet["baseline"]["all"]["p_clean"]);
}

TEST_CASE("causal tracing windows cover the stated layers", "[causal-tracing]") {
  const std::vector<TraceSite> sites = trace_sites(sweep_model().config, 4, {"mlp", "attn"}, 2);
  REQUIRE(sites.size() == 16);
  CHECK(sites[0].label == "L0 mlp @0");
  CHECK(sites[0].hooks == std::vector<HookId>{{HookKind::MlpOut, 0}});
  CHECK(sites[4].label == "L0-1 mlp @0");  // centred on layer 1: layers 0 and 1
  CHECK(sites[4].hooks == std::vector<HookId>{{HookKind::MlpOut, 0}, {HookKind::MlpOut, 1}});
  CHECK(sites[8].hooks == std::vector<HookId>{{HookKind::AttnOut, 0}});
}

TEST_CASE("causal tracing with clean-cache reuse equals recomputing, and shards merge", "[causal-tracing]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  json reused = trace(session, suite, {{"window", 2}});
  json recomputed = trace(session, suite, {{"window", 2}, {"reuse_cache", false}});
  reused["settings"].erase("reuse_cache");
  recomputed["settings"].erase("reuse_cache");
  CHECK(reused.dump() == recomputed.dump());
  std::vector<json> shards;
  for (int i = 0; i < 3; ++i) {
    shards.push_back(trace(session, suite, {{"window", 2}, {"shard", {i, 3}}}));
    CHECK(shards.back()["baseline"] == reused["baseline"]);
  }
  CHECK(merged_units(shards) == reused["units"]);
}

TEST_CASE("bad causal tracing settings and items are named", "[causal-tracing]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  auto fails = [&](json settings, const std::string& message) {
    INFO(settings.dump());
    CHECK_THROWS_WITH(trace(session, suite, std::move(settings)), Catch::Contains(message));
  };
  fails({{"kinds", {"copy"}}}, "suite item \"copy-0\": meta.subject_positions: missing");
  fails({{"window", 3}}, "causal-tracing.window: expected an integer in [1, 2], found 3");
  fails({{"samples", 0}}, "causal-tracing.samples");
  fails({{"noise", "big"}}, "causal-tracing.noise: expected a number");
  fails({{"levels", {"head"}}}, "causal-tracing.levels");
  fails({{"sample", 2}}, "causal-tracing.sample: unknown setting");
  Suite bad = sweep_suite();
  bad.items[0].meta["subject_positions"] = {4};
  CHECK_THROWS_WITH(trace(session, bad, json::object()),
                    Catch::Contains("suite item \"fact-0\": meta.subject_positions: expected a non-empty array of "
                                    "distinct positions in [0, 4), found [4]"));
}
