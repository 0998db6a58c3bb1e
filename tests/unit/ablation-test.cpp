// Ablation sweeps on the hand-set model of sweep-model.h: the component on an
// item's path drops its family to 0, every other component changes nothing;
// the resumed runs equal full runs; shards merge into the whole; settings are checked.
#include <catch2/catch.hpp>

#include "analysis/sweeps/ablation.h"
#include "base/error.h"
#include "sweep-model.h"

using namespace strata;
using nlohmann::json;
using strata::testing::merged_units;
using strata::testing::sweep_model;
using strata::testing::sweep_suite;

namespace {

json ablate(const Session& session, const Suite& suite, json settings, uint64_t seed = 7) {
  AnalysisRequest request{session, &suite, seed, std::move(settings), {}};
  return run_ablation(request);
}

// The drop each unit must show, by label: {recall, reasoning}.
std::pair<double, double> expected_drop(const std::string& label) {
  if (label == "L0 mlp" || label == "L0 block") return {1.0, 0.0};
  if (label == "L1H0" || label == "L1 attn" || label == "L1 block") return {0.0, 1.0};
  for (int i = 0; i < 6; ++i)
    if (label == "L0 mlp N" + std::to_string(i)) return {1.0 / 6.0, 0.0};
  return {0.0, 0.0};
}

}  // namespace

TEST_CASE("ablating the path drops its family to 0 and nothing else changes anything", "[ablation]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  for (const std::string method : {"zero", "mean", "resample"}) {
    const json r = ablate(session, suite, {{"method", method}});
    INFO("method " << method);
    CHECK(r["baseline"]["by_kind"] == json({{"copy", 1.0}, {"fact", 1.0}}));
    CHECK(r["baseline"]["by_family"] == json({{"reasoning", 1.0}, {"recall", 1.0}}));
    CHECK(testing::kinds_without_ids(r["items"]) == json::parse(R"([{"family":"reasoning","kind":"copy","n":6,"split":"heldout"},
                                                 {"family":"recall","kind":"fact","n":6,"split":"trained"}])"));
    // 2 blocks + 2 attn + 2 mlp + 4 heads
    REQUIRE(r["n_units"] == 10);
    REQUIRE(r["units"].size() == 10);
    for (size_t u = 0; u < 10; ++u) {
      const json& unit = r["units"][u];
      CHECK(unit["unit"] == u);
      const auto [recall, reasoning] = expected_drop(unit["label"]);
      INFO("unit " << unit["label"]);
      CHECK(unit["drop"]["by_family"]["recall"].get<double>() == recall);
      CHECK(unit["drop"]["by_family"]["reasoning"].get<double>() == reasoning);
      CHECK(unit["accuracy"]["by_kind"]["fact"].get<double>() == 1.0 - recall);
      CHECK(unit["accuracy"]["by_kind"]["copy"].get<double>() == 1.0 - reasoning);
    }
    CHECK(r["units"][6]["sites"] == json::parse(R"([{"hook": "blocks.0.attn.hook_z", "head": 0}])"));
    CHECK(r["units"][6]["head"] == 0);
    // A layer is its heads (all of them, at hook_z) and its MLP; an attention block is its heads.
    CHECK(r["units"][0]["sites"] == json::parse(R"([{"hook": "blocks.0.attn.hook_z"}, {"hook": "blocks.0.hook_mlp_out"}])"));
    CHECK(r["units"][2]["sites"] == json::parse(R"([{"hook": "blocks.0.attn.hook_z"}])"));
  }
}

TEST_CASE("neuron ablation finds each fact's own neuron", "[ablation]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  for (const std::string method : {"zero", "mean"}) {
    const json r = ablate(session, suite, {{"method", method}, {"levels", {"neuron"}}});
    REQUIRE(r["units"].size() == 32);  // 2 layers x 16 neurons
    for (const json& unit : r["units"]) {
      const auto [recall, reasoning] = expected_drop(unit["label"]);
      INFO(method << " " << unit["label"]);
      CHECK(unit["drop"]["by_family"]["recall"].get<double>() == Approx(recall).margin(1e-12));
      CHECK(unit["drop"]["by_family"]["reasoning"].get<double>() == reasoning);
    }
    CHECK(r["units"][3]["neuron"] == 3);
    CHECK(r["units"][3]["sites"] == json::parse(R"([{"hook": "blocks.0.mlp.hook_post", "neurons": [3]}])"));
  }
}

TEST_CASE("ablated runs resumed from the clean cache equal full runs", "[ablation]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  for (const std::string method : {"zero", "mean", "resample"}) {
    json reused = ablate(session, suite, {{"method", method}, {"levels", {"layer", "attn", "mlp", "head", "neuron"}}});
    json recomputed = ablate(session, suite, {{"method", method}, {"levels", {"layer", "attn", "mlp", "head", "neuron"}},
                                              {"reuse_cache", false}});
    CHECK(reused["settings"]["reuse_cache"] == true);
    CHECK(recomputed["settings"]["reuse_cache"] == false);
    reused["settings"].erase("reuse_cache");
    recomputed["settings"].erase("reuse_cache");
    CHECK(reused.dump() == recomputed.dump());
  }
}

TEST_CASE("ablation shards concatenate to the whole sweep", "[ablation]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const json whole = ablate(session, suite, {{"method", "resample"}});
  std::vector<json> shards;
  for (int i = 0; i < 3; ++i) {
    shards.push_back(ablate(session, suite, {{"method", "resample"}, {"shard", {i, 3}}}));
    CHECK(shards.back()["baseline"] == whole["baseline"]);
    CHECK(shards.back()["n_units"] == whole["n_units"]);
    CHECK(shards.back()["settings"]["shard"] == json({i, 3}));
    for (const json& u : shards.back()["units"]) CHECK(u["unit"].get<int>() % 3 == i);
  }
  CHECK(merged_units(shards) == whole["units"]);
  CHECK(ablate(session, suite, {{"method", "resample"}}).dump() == whole.dump());  // byte for byte
}

TEST_CASE("resample donors are other items of the same kind, fixed by the seed", "[ablation]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const ItemSet items = select_items(session, suite, ItemSelection{}, 1, "ablation");
  const std::vector<AblationTarget> targets = ablation_targets(session.model().config, {AblationLevel::Head});
  const Ablator a(session.model(), items, AblationMethod::Resample, targets, 11, true);
  const Ablator b(session.model(), items, AblationMethod::Resample, targets, 11, true);
  const Ablator c(session.model(), items, AblationMethod::Resample, targets, 12, true);
  CHECK(a.donors() == b.donors());
  CHECK(a.donors() != c.donors());
  for (size_t i = 0; i < items.items.size(); ++i) {
    CHECK(a.donors()[i] != i);
    CHECK(items.items[a.donors()[i]].kind == items.items[i].kind);
  }
  // A resampled head takes exactly the donor's clean value.
  const std::vector<Intervention> iv = a.interventions({targets[2]}, 0);
  REQUIRE(iv.size() == 1);
  CHECK(iv[0].op == InterventionOp::Patch);
  CHECK(iv[0].head == 0);
  RunOptions capture_z;
  capture_z.capture = {{HookKind::Z, 1}};
  const RunResult donor = session.run(items.items[a.donors()[0]].tokens, capture_z);
  CHECK(iv[0].value.data == donor.cache.at({HookKind::Z, 1}).data);
}

TEST_CASE("the item selection follows the settings", "[ablation]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const json r =
      ablate(session, suite, {{"items_per_kind", 2}, {"kinds", {"fact"}}, {"levels", {"mlp"}}, {"method", "zero"}});
  CHECK(testing::kinds_without_ids(r["items"]) == json::parse(R"([{"family":"recall","kind":"fact","n":2,"split":"trained"}])"));
  CHECK(r["settings"]["kinds"] == json({"fact"}));
  CHECK(r["units"][0]["drop"]["by_kind"] == json({{"fact", 1.0}}));
  const json held = ablate(session, suite, {{"split", "heldout"}, {"levels", {"mlp"}}});
  CHECK(held["items"]["kinds"][1]["n"] == 1);  // the one held-out fact, answered wrongly by construction
  CHECK(held["baseline"]["by_kind"]["fact"] == 0.0);
}

TEST_CASE("bad ablation settings name the setting", "[ablation]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  auto fails = [&](json settings, const std::string& message) {
    INFO(settings.dump());
    CHECK_THROWS_WITH(ablate(session, suite, std::move(settings)), Catch::Contains(message));
  };
  fails({{"methd", "zero"}}, "ablation.methd: unknown setting");
  fails({{"method", "median"}}, "ablation.method: expected one of");
  fails({{"levels", {"block"}}}, "ablation.levels: expected a non-empty array of distinct names from");
  fails({{"levels", {"mlp", "mlp"}}}, "ablation.levels");
  fails({{"levels", json::array()}}, "ablation.levels");
  fails({{"shard", {3, 3}}}, "ablation.shard: expected [index, count]");
  fails({{"shard", 1}}, "ablation.shard");
  fails({{"kinds", {"nope"}}}, "ablation.kinds: \"nope\" is not a kind of this suite");
  fails({{"items_per_kind", -1}}, "ablation.items_per_kind: expected an integer in [0, 1000000], found -1");
  fails({{"split", "test"}}, "ablation.split");
  fails({{"reuse_cache", "yes"}}, "ablation.reuse_cache: expected true or false");
  fails({{"method", "resample"}, {"items_per_kind", 1}}, "needs at least 2");
  fails(json::array(), "ablation: expected an object of settings");
  AnalysisRequest no_suite{session, nullptr, 0, json::object(), {}};
  CHECK_THROWS_WITH(run_ablation(no_suite), Catch::Contains("ablation: needs a suite"));
}

TEST_CASE("ablation reports its progress", "[ablation]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  std::vector<double> fractions;
  AnalysisRequest request{session, &suite, 0, {{"levels", {"mlp"}}}, [&](double f, const std::string&) { fractions.push_back(f); }};
  run_ablation(request);
  REQUIRE(fractions.size() >= 3);
  CHECK(fractions.front() == 0.0);
  CHECK(fractions.back() == 1.0);
  CHECK(std::is_sorted(fractions.begin(), fractions.end()));
}
