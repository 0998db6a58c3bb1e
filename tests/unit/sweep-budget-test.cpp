// The time budget of the sweeps (analysis/sweeps/sweep-budget.h) and of the tuned lens
// (observation-runners.h) on the shipped tiny-gpt2-world2: the FLOP count, the
// cut and what the result says of it.
#include <catch2/catch.hpp>

#include <cmath>

#include "analysis/sweeps/ablation.h"
#include "analysis/circuits/circuits.h"
#include "analysis/observation/observation-runners.h"
#include "analysis/sweeps/patching.h"
#include "analysis/sweeps/sweep-budget.h"
#include "base/error.h"
#include "shipped.h"

using namespace strata;
using namespace strata::testing;
using nlohmann::json;

namespace {

struct Shipped {
  const Session& session;
  const Suite& suite;
};

Shipped shipped() { return {shipped_session(), shipped_suite()}; }

}  // namespace

TEST_CASE("a sweep's forward pass of GPT-2 small over 16 tokens counts 2.80 GFLOP", "[sweep-budget]") {
  ModelConfig c;
  c.model_type = "gpt2";
  c.n_layers = 12, c.d_model = 768, c.n_heads = 12, c.n_kv_heads = 12, c.d_head = 64, c.d_mlp = 3072, c.d_vocab = 50257;
  // per layer: q, k, v, o 2·16·768·768 each; scores and sum 2·2·16²·768; MLP 2·2·16·768·3072;
  // the last position's unembedding 2·768·50257
  const double per_layer = 4 * 2.0 * 16 * 768 * 768 + 4.0 * 16 * 16 * 768 + 2 * 2.0 * 16 * 768 * 3072;
  CHECK(forward_flops(c, 16) == Approx(12 * per_layer + 2.0 * 768 * 50257));
  CHECK(forward_flops(c, 16) == Approx(2.805e9).epsilon(0.001));
  c.model_type = "llama";  // a gated MLP has three projections
  CHECK(forward_flops(c, 16) == Approx(12 * per_layer + 2.0 * 768 * 50257 + 12 * 2.0 * 16 * 768 * 3072));
}

TEST_CASE("a sweep over its budget runs on fewer items per kind and says so", "[sweep-budget]") {
  const Shipped& s = shipped();
  const json base = {{"kinds", {"city", "compare"}}, {"items_per_kind", 32}, {"levels", {"layer"}}};
  const json full = run_ablation({s.session, &s.suite, 1, base, {}});
  CHECK_FALSE(full.contains("budget"));
  CHECK_FALSE(full["settings"].contains("budget_seconds"));

  // A generous budget: nothing is cut, and the echo names the budget.
  json generous = base;
  generous["budget_seconds"] = 3600;
  const json same = run_ablation({s.session, &s.suite, 1, generous, {}});
  CHECK_FALSE(same.contains("budget"));
  CHECK(same["settings"]["budget_seconds"] == 3600);
  CHECK(same["units"] == full["units"]);

  // A budget of a quarter of the estimate: a quarter of the items per kind.
  const int n_layers = s.session.model().config.n_layers;
  const double all_seconds = 64.0 * (n_layers + 1) * forward_flops(s.session.model().config, full["items"]["n_pos"]) /
                             kReferenceFlops;
  json tight = base;
  tight["budget_seconds"] = all_seconds / 4;
  const json cut = run_ablation({s.session, &s.suite, 1, tight, {}});
  REQUIRE(cut.contains("budget"));
  CHECK(cut["budget"]["items_per_kind_all"] == 32);
  CHECK(cut["budget"]["items_per_kind"] == 8);
  CHECK(cut["budget"]["estimated_seconds_all"].get<double>() == Approx(all_seconds));
  CHECK(cut["budget"]["estimated_seconds"].get<double>() == Approx(all_seconds / 4));
  CHECK(cut["settings"]["items_per_kind"] == 8);
  for (const json& k : cut["items"]["kinds"]) CHECK(k["n"] == 8);
  // The cut is the first 8 items of each kind: the same as asking for 8.
  json eight = base;
  eight["items_per_kind"] = 8;
  CHECK(cut["units"] == run_ablation({s.session, &s.suite, 1, eight, {}})["units"]);

  // Never below kMinItemsPerKind, whatever the budget.
  tight["budget_seconds"] = 1e-9;
  CHECK(run_ablation({s.session, &s.suite, 1, tight, {}})["budget"]["items_per_kind"] == kMinItemsPerKind);
  json patching = {{"kinds", {"city"}}, {"items_per_kind", 32}, {"levels", {"resid"}}, {"budget_seconds", 1e-9}};
  CHECK(run_patching({s.session, &s.suite, 1, patching, {}})["budget"]["items_per_kind"] == kMinItemsPerKind);
  patching["budget_seconds"] = -1;
  CHECK_THROWS_WITH(run_patching({s.session, &s.suite, 1, patching, {}}),
                    Catch::Contains("patching.budget_seconds: expected a number in [0.0, 86400.0], found -1"));
}

TEST_CASE("the tuned lens over its budget gives up the KL fit, then items, by the stated rule", "[tuned-lens][budget]") {
  const Shipped& s = shipped();
  const json base = {{"items_per_kind", 16}, {"steps", 5}};
  const auto run = [&](const json& settings) { return run_tuned_lens({s.session, &s.suite, 1, settings, {}}); };
  const json full = run(base);
  CHECK_FALSE(full.contains("budget"));

  // A generous budget: nothing is cut, and the echo names the budget.
  json generous = base;
  generous["budget_seconds"] = 3600;
  const json same = run(generous);
  CHECK_FALSE(same.contains("budget"));
  CHECK(same["settings"]["budget_seconds"] == 3600);
  CHECK(same["heldout"] == full["heldout"]);

  // The smallest budget: the least-squares fit on each kind's first
  // kMinItemsPerKind items, exactly what those settings give by hand.
  json tiny = base;
  tiny["budget_seconds"] = 1e-9;
  const json cut = run(tiny);
  REQUIRE(cut.contains("budget"));
  CHECK(cut["budget"]["objective"] == "least-squares");
  CHECK(cut["budget"]["items_per_kind"] == kMinItemsPerKind);
  CHECK(cut["budget"]["items_per_kind_all"] == 16);
  CHECK(cut["budget"]["estimated_seconds"].get<double>() < cut["budget"]["estimated_seconds_all"].get<double>());
  CHECK(cut["fit_method"] == "least-squares-to-final-residual");
  CHECK(cut["settings"]["objective"] == "least-squares");
  json by_hand = base;
  by_hand["items_per_kind"] = kMinItemsPerKind;
  by_hand["objective"] = "least-squares";
  const json hand = run(by_hand);
  CHECK(cut["fit"] == hand["fit"]);
  CHECK(cut["heldout"] == hand["heldout"]);
  CHECK(cut["by_kind"] == hand["by_kind"]);

  // Half the whole fit's estimate: the KL fit on fewer items fits it.
  const double all_seconds = cut["budget"]["estimated_seconds_all"];
  json half = base;
  half["budget_seconds"] = all_seconds / 2;
  const json halved = run(half);
  REQUIRE(halved.contains("budget"));
  CHECK(halved["budget"]["objective"] == "kl");
  CHECK(halved["fit_method"] == "kl-from-least-squares");
  const int n = halved["budget"]["items_per_kind"];
  CHECK(n > kMinItemsPerKind);
  CHECK(n < 16);
  CHECK(halved["budget"]["estimated_seconds"].get<double>() <= all_seconds / 2);
  CHECK(halved["budget"]["estimated_seconds_all"] == all_seconds);
}

TEST_CASE("circuits over their budget coarsen the candidates, then shrink every item set, by the stated rule",
          "[circuits][budget]") {
  const Shipped& s = shipped();
  const json base = {{"kinds", {"city", "compare"}}, {"selection_items_per_kind", 6}, {"validation_items_per_kind", 6},
                     {"test_items_per_kind", 12},         {"null_items_per_kind", 4},      {"random_circuits", 10},
                     {"bootstrap_samples", 100},          {"max_size", 1},                 {"donors", 1}};
  const auto run = [&](const json& settings) { return run_circuits({s.session, &s.suite, 1, settings, {}}); };
  const auto without_budget = [](json result) {
    result.erase("budget");
    result["settings"].erase("budget_seconds");
    return result;
  };

  // A generous budget cuts nothing.
  json generous = base;
  generous["budget_seconds"] = 86400;
  const json full = run(generous);
  CHECK_FALSE(full.contains("budget"));
  CHECK(full["settings"]["budget_seconds"] == 86400);

  // The smallest budget: whole attention layers and MLPs, 2 items per kind in
  // the selection set and the others in proportion (at least 2), exactly what
  // those settings give by hand.
  json tiny = base;
  tiny["budget_seconds"] = 1e-9;
  const json cut = run(tiny);
  REQUIRE(cut.contains("budget"));
  CHECK(cut["budget"]["candidates"] == "attn_mlps");
  const json& all = cut["budget"]["items_per_kind_all"];
  CHECK(all == json({{"selection", 6}, {"validation", 6}, {"test", 12}, {"null", 4}}));
  const int test_n = 4;  // 12 · 2 / 6
  CHECK(cut["budget"]["items_per_kind"] == json({{"selection", 2}, {"validation", 2}, {"test", test_n}, {"null", 2}}));
  CHECK(cut["budget"]["estimated_seconds"].get<double>() < cut["budget"]["estimated_seconds_all"].get<double>());
  json by_hand = base;
  by_hand.update({{"selection_items_per_kind", 2}, {"validation_items_per_kind", 2}, {"test_items_per_kind", test_n},
                  {"null_items_per_kind", 2}, {"candidates", "attn_mlps"}});
  CHECK(without_budget(cut) == run(by_hand));

  // Half the whole estimate: every head is still a candidate, on fewer items.
  const double all_seconds = cut["budget"]["estimated_seconds_all"];
  json half = base;
  half["budget_seconds"] = all_seconds / 2;
  const json halved_circuits = run(half);
  REQUIRE(halved_circuits.contains("budget"));
  CHECK(halved_circuits["budget"]["candidates"] == "heads_mlps");
  const int m = halved_circuits["budget"]["items_per_kind"]["selection"];
  CHECK(m > 2);
  CHECK(m < 6);
  CHECK(halved_circuits["budget"]["items_per_kind"]["validation"] == m);  // 6 · m / 6
  CHECK(halved_circuits["budget"]["items_per_kind"]["test"] == 2 * m);  // 12 · m / 6
  CHECK(halved_circuits["budget"]["estimated_seconds"].get<double>() <= all_seconds / 2);
  CHECK(halved_circuits["settings"]["selection_items_per_kind"] == m);
}
