// Activation patching on the hand-set model of sweep-model.h: identities that
// hold exactly (a whole clean residual, or the last position's final residual,
// recovers 1; the one differing token at the embedding recovers 1 and the
// others 0; a run patched with its own activations is unchanged), the paths
// recover about 1 and the rest about 0, resumed runs equal full runs, shards
// merge into the whole.
#include <catch2/catch.hpp>

#include "analysis/sweeps/patching.h"
#include "base/error.h"
#include "sweep-model.h"

using namespace strata;
using nlohmann::json;
using strata::testing::merged_units;
using strata::testing::sweep_model;
using strata::testing::sweep_suite;

namespace {

json patch(const Session& session, const Suite& suite, json settings) {
  AnalysisRequest request{session, &suite, 3, std::move(settings), {}};
  return run_patching(request);
}

const json* find_unit(const json& result, const std::string& label) {
  for (const json& u : result["units"])
    if (u["label"] == label) return &u;
  return nullptr;
}

double recovery(const json& result, const std::string& label, const std::string& kind) {
  const json* u = find_unit(result, label);
  REQUIRE(u);
  return (*u)["recovery"]["by_kind"][kind].get<double>();
}

}  // namespace

TEST_CASE("patching identities hold exactly", "[patching]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  for (const bool reuse : {true, false}) {
    INFO("reuse_cache " << reuse);
    const json r = patch(session, suite, {{"levels", {"resid"}}, {"reuse_cache", reuse}});
    REQUIRE(r["n_units"] == 3 * 4);  // boundaries 0, 1, 2 x 4 positions
    CHECK(r["pairs"]["by_kind"]["fact"]["used"] == 6);
    CHECK(r["pairs"]["by_kind"]["copy"]["used"] == 6);
    for (const std::string kind : {"fact", "copy"}) {
      // the final residual at the last position is all the logits read
      CHECK(recovery(r, "resid 2 @3", kind) == 1.0);
      // the embedding: only the token that differs matters (recall: the entity at 3, reasoning: the symbol at 0)
      const int differing = kind == "fact" ? 3 : 0;
      for (int p = 0; p < 4; ++p)
        CHECK(recovery(r, "resid 0 @" + std::to_string(p), kind) == (p == differing ? 1.0 : 0.0));
    }
    CHECK((*find_unit(r, "resid 2 @3"))["hook"] == "blocks.1.hook_resid_post");
    CHECK((*find_unit(r, "resid 1 @0"))["hook"] == "blocks.1.hook_resid_pre");
    CHECK((*find_unit(r, "resid 1 @0"))["boundary"] == 1);
  }
}

TEST_CASE("patching a whole clean residual recovers the clean logit difference exactly", "[patching]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const ItemSet items = select_items(session, suite, ItemSelection{}, 1, "patching");
  std::vector<PatchSite> sites;
  for (int b = 0; b <= 2; ++b) sites.push_back({PatchLevel::Resid, b, -1, -1});
  for (const bool reuse : {true, false}) {
    const Patcher patcher(session.model(), items, sites, reuse);
    for (size_t i = 0; i < items.items.size(); ++i) {
      CHECK(patcher.clean_logit_diff(i) > 3.0);  // every item's clean answer is clear...
      CHECK(patcher.corrupt_logit_diff(i) < -3.0);  // ...and the corrupt prompt prefers the corrupt answer
      for (const PatchSite& site : sites) CHECK(patcher.patched_logit_diff(i, site) == patcher.clean_logit_diff(i));
    }
  }
}

TEST_CASE("a run patched with its own activations is unchanged, and its pairs are skipped", "[patching]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite(/*self_corrupt=*/true);
  const ItemSet items = select_items(session, suite, ItemSelection{}, 1, "patching");
  const std::vector<PatchSite> sites =
      patch_sites(session.model().config, items.n_pos,
                  {PatchLevel::Resid, PatchLevel::Attn, PatchLevel::Mlp, PatchLevel::Head, PatchLevel::HeadPos});
  for (const bool reuse : {true, false}) {  // reuse skips these runs (nothing changes); without it they run
    const Patcher patcher(session.model(), items, sites, reuse);
    for (size_t i = 0; i < items.items.size(); ++i) {
      CHECK(patcher.corrupt_logit_diff(i) == patcher.clean_logit_diff(i));
      for (const PatchSite& site : sites) {
        INFO(site.label() << " reuse " << reuse);
        CHECK(patcher.patched_logit_diff(i, site) == patcher.clean_logit_diff(i));
      }
    }
  }
  // answer == corrupt answer: LD is 0 on both sides, nothing to normalise by
  const json r = patch(session, suite, {{"levels", {"mlp"}}, {"min_gap", 0}});
  CHECK(r["pairs"]["by_family"]["recall"] == json::parse(R"({"mean_ld_clean":0.0,"mean_ld_corrupt":0.0,"n":6,"skipped":6,"used":0})"));
  CHECK(r["units"][0]["recovery"]["by_kind"]["fact"].is_null());
  CHECK(r["units"][0]["recovery"]["by_family"]["reasoning"].is_null());
}

TEST_CASE("patching finds each family's path", "[patching]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const json r = patch(session, suite, {{"levels", {"attn", "mlp", "head", "mlp_pos", "head_pos"}}});
  REQUIRE(r["n_units"] == 2 + 2 + 4 + 2 * 4 + 4 * 4);
  // recall: MLP 0 (at the entity's position, the last) carries the answer; reasoning: L1H0 at the last position
  CHECK(recovery(r, "L0 mlp", "fact") == Approx(1.0).margin(0.05));
  CHECK(recovery(r, "L0 mlp @3", "fact") == Approx(1.0).margin(0.05));
  CHECK(recovery(r, "L1H0", "copy") == Approx(1.0).margin(0.05));
  CHECK(recovery(r, "L1H0 @3", "copy") == Approx(1.0).margin(0.05));
  CHECK(recovery(r, "L1 attn", "copy") == Approx(1.0).margin(0.05));
  for (const std::string off_path : {"L0H0", "L0H1", "L1H1", "L1 mlp"}) {
    INFO(off_path);
    CHECK(std::abs(recovery(r, off_path, "fact")) < 0.05);
    CHECK(std::abs(recovery(r, off_path, "copy")) < 0.05);
  }
  for (int p = 0; p < 3; ++p) {  // before the last position nothing of either path is computed
    CHECK(recovery(r, "L0 mlp @" + std::to_string(p), "fact") == 0.0);
    CHECK(recovery(r, "L1H0 @" + std::to_string(p), "copy") == 0.0);
  }
  CHECK(recovery(r, "L0 mlp", "copy") == Approx(0.0).margin(0.05));
  CHECK(recovery(r, "L1H0", "fact") == Approx(0.0).margin(0.05));
  const json& head = *find_unit(r, "L1H0 @3");
  CHECK(head["hook"] == "blocks.1.attn.hook_z");
  CHECK(head["head"] == 0);
  CHECK(head["position"] == 3);
  CHECK(head["layer"] == 1);
}

TEST_CASE("patching with clean-cache reuse equals recomputing from the embedding", "[patching]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const json levels = {"resid", "attn", "mlp", "head", "attn_pos", "mlp_pos", "head_pos"};
  json reused = patch(session, suite, {{"levels", levels}});
  json recomputed = patch(session, suite, {{"levels", levels}, {"reuse_cache", false}});
  reused["settings"].erase("reuse_cache");
  recomputed["settings"].erase("reuse_cache");
  CHECK(reused.dump() == recomputed.dump());
}

TEST_CASE("patching shards concatenate to the whole sweep", "[patching]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  const json whole = patch(session, suite, json::object());
  std::vector<json> shards;
  for (int i = 0; i < 4; ++i) {
    shards.push_back(patch(session, suite, {{"shard", {i, 4}}}));
    CHECK(shards.back()["pairs"] == whole["pairs"]);
    CHECK(shards.back()["n_units"] == whole["n_units"]);
  }
  CHECK(merged_units(shards) == whole["units"]);
  CHECK(whole["settings"]["levels"] == json({"resid", "attn", "mlp", "head"}));
  CHECK(whole["n_units"] == 3 * 4 + 2 + 2 + 4);
}

TEST_CASE("bad patching settings name the setting", "[patching]") {
  const Session session(sweep_model());
  const Suite suite = sweep_suite();
  auto fails = [&](json settings, const std::string& message) {
    INFO(settings.dump());
    CHECK_THROWS_WITH(patch(session, suite, std::move(settings)), Catch::Contains(message));
  };
  fails({{"levels", {"neuron"}}}, "patching.levels: expected a non-empty array of distinct names from");
  fails({{"min_gap", -1}}, "patching.min_gap: expected a number in [0.0, 1000000.0], found -1");
  fails({{"method", "mean"}}, "patching.method: unknown setting");
  fails({{"shard", {0, 0}}}, "patching.shard");
  fails({{"kinds", "fact"}}, "patching.kinds: expected a non-empty array of distinct names");
}
