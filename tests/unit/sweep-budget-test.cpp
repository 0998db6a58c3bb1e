// The sweeps' time budget (analysis/sweep-budget.h) on the shipped
// tiny-gpt2-world: the FLOP count, the cut and what the result says of it.
#include <catch2/catch.hpp>

#include <cmath>

#include "analysis/ablation.h"
#include "analysis/patching.h"
#include "analysis/sweep-budget.h"
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
