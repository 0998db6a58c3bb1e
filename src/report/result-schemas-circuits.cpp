// Result validator of the circuits analysis (circuits.h): the four item sets,
// every candidate and circuit component naming a site inside the model, the
// test figures per family, the nulls, the sizes tried and the Pareto front.
// Effects, drops and the contrast are in points and may be any finite number
// (an ablation can more than erase a logit difference); an undefined one is null.
#include <algorithm>

#include "report/result-schema-parts.h"

namespace strata::schema {
namespace {

constexpr size_t kMaxCircuitSize = 8;            // circuits.max_size's upper bound
constexpr size_t kMaxRandomCircuits = 100000;    // circuits.random_circuits's upper bound
constexpr size_t kMaxStatement = 1 << 16;

// [lo, hi], each a number or null.
void interval(const Checked& c) {
  c.array(2, 2);
  real_or_null(c[0]);
  real_or_null(c[1]);
}

// K = {"label", "hook", "head"?, "positions"?}, positions below the item set's n_pos.
void component(const Checked& k, const ReportShape& s, int64_t n_pos) {
  k.only_fields({"label", "hook", "head", "positions"});
  k.field("label").string(kMaxText);
  k.field("hook").string(kMaxText);
  if (k.optional_field("head")) k.field("head").integer(0, s.n_heads - 1);
  if (const auto positions = k.optional_field("positions")) {
    const size_t n = positions->array(1, static_cast<size_t>(n_pos));
    for (size_t i = 0; i < n; ++i) (*positions)[i].integer(0, n_pos - 1);
  }
}

// [label, ...] of a subset of at most max components.
void labels(const Checked& c, size_t min, size_t max) {
  const size_t n = c.array(min, max);
  for (size_t i = 0; i < n; ++i) c[i].string(kMaxText);
}

// {"recall", "reasoning", "objective"?}: a subset's effects on one item set
// (a candidate alone has no objective: it is scored for both targets).
void effects(const Checked& e, bool objective) {
  if (objective) e.only_fields({"recall", "reasoning", "objective"});
  else e.only_fields({"recall", "reasoning"});
  real_or_null(e.field("recall"));
  real_or_null(e.field("reasoning"));
  if (objective) real_or_null(e.field("objective"));
}

// F = {"n", "effect", "effect_ci", "drop", "ci", "accuracy": {"intact", "ablated", "chance"}}.
void family_figures(const Checked& f, int64_t n_items) {
  f.only_fields({"n", "effect", "effect_ci", "drop", "ci", "accuracy"});
  f.field("n").integer(0, n_items);
  real_or_null(f.field("effect"));
  interval(f.field("effect_ci"));
  real_or_null(f.field("drop"));
  interval(f.field("ci"));
  const Checked accuracy = f.field("accuracy");
  accuracy.only_fields({"intact", "ablated", "chance"});
  for (const char* key : {"intact", "ablated", "chance"}) fraction_or_null(accuracy.field(key));
}

void circuit(const Checked& c, const ReportShape& s, const SweepItems& test) {
  c.only_fields({"components", "test", "null", "sizes", "front"});
  const Checked components = c.field("components");
  const size_t n = components.array(1, kMaxCircuitSize);
  for (size_t i = 0; i < n; ++i) component(components[i], s, test.n_pos);
  const Checked figures = c.field("test");
  figures.only_fields({"recall", "reasoning"});
  family_figures(figures.field("recall"), test.n_items);
  family_figures(figures.field("reasoning"), test.n_items);

  const Checked null = c.field("null");
  null.only_fields({"n", "percentile", "objective", "circuits"});
  null.field("percentile").number_or_null(0, 100);
  real_or_null(null.field("objective"));
  const int64_t n_null = null.field("n").integer(0, static_cast<int64_t>(kMaxRandomCircuits));
  const Checked randoms = null.field("circuits");  // the distinct ones among the n drawn
  const size_t n_random = randoms.array(0, static_cast<size_t>(n_null));
  for (size_t i = 0; i < n_random; ++i) {
    const Checked r = randoms[i];
    r.only_fields({"components", "recall", "reasoning"});
    labels(r.field("components"), 1, kMaxCircuitSize);
    real_or_null(r.field("recall"));
    real_or_null(r.field("reasoning"));
  }

  const Checked sizes = c.field("sizes");
  const size_t n_sizes = sizes.array(1, kMaxCircuitSize);
  size_t chosen = 0;
  for (size_t i = 0; i < n_sizes; ++i) {
    const Checked size = sizes[i];
    size.only_fields({"size", "components", "selection", "validation", "chosen"});
    const int64_t k = size.field("size").integer(1, static_cast<int64_t>(kMaxCircuitSize));
    labels(size.field("components"), static_cast<size_t>(k), static_cast<size_t>(k));
    effects(size.field("selection"), true);
    effects(size.field("validation"), true);
    chosen += size.field("chosen").boolean() ? 1 : 0;
  }
  if (chosen != 1) sizes.fail("expected exactly one chosen size, found " + std::to_string(chosen));

  // The evaluated subsets no other dominates: each subset once.
  const Checked front = c.field("front");
  const size_t n_front = front.array(0, kMaxUnits);
  std::set<nlohmann::json> subsets;
  for (size_t i = 0; i < n_front; ++i) {
    const Checked f = front[i];
    f.only_fields({"components", "recall", "reasoning"});
    labels(f.field("components"), 1, kMaxCircuitSize);
    if (!subsets.insert(f.field("components").value()).second) f.field("components").fail("repeated subset");
    real(f.field("recall"));
    real(f.field("reasoning"));
  }
}

}  // namespace

void check_circuits(const Checked& result, const ReportShape& s) {
  result.only_fields({"settings", "method", "items", "chance", "candidates", "circuits", "test_items", "contrast",
                      "separated", "statement", "budget"});
  result.field("settings").object(64);
  // The time budget's cut (analysis/circuits/circuits.cpp, fit_circuits_to_budget): items per kind of each set.
  if (const auto budget = result.optional_field("budget")) {
    budget->only_fields({"budget_seconds", "estimated_seconds_all", "estimated_seconds", "items_per_kind_all",
                         "items_per_kind", "candidates"});
    budget->field("budget_seconds").number(0, 86400);
    budget->field("estimated_seconds_all").number(0, kBig);
    budget->field("estimated_seconds").number(0, kBig);
    const Checked all = budget->field("items_per_kind_all");
    const Checked cut = budget->field("items_per_kind");
    for (const Checked* sets : {&all, &cut}) sets->only_fields({"selection", "validation", "test", "null"});
    for (const char* set : {"selection", "validation", "test", "null"})  // never below 2 (nor above the whole, if more)
      cut.field(set).integer(2, std::max<int64_t>(2, all.field(set).integer(0, 100000)));
    budget->field("candidates").one_of({"heads_mlps", "attn_mlps"});
  }
  const Checked method = result.field("method");
  method.only_fields({"ablation", "donors", "search", "exhaustive_forward_passes", "objective", "max_size",
                      "collateral_penalty"});
  method.field("ablation").one_of({"resample", "mean", "zero"});
  if (!method.field("donors").is_null()) method.field("donors").integer(1, 16);
  method.field("search").one_of({"exhaustive", "greedy"});
  method.field("exhaustive_forward_passes").number(0, kBig);
  method.field("objective").string(kMaxText);
  method.field("max_size").integer(1, static_cast<int64_t>(kMaxCircuitSize));
  method.field("collateral_penalty").number(0, 100);

  const Checked items = result.field("items");
  items.only_fields({"selection", "validation", "test", "null"});
  const SweepItems selection = sweep_items(items.field("selection"), s);
  sweep_items(items.field("validation"), s);
  const SweepItems test = sweep_items(items.field("test"), s);
  sweep_items(items.field("null"), s);
  kind_map(result.field("chance"), &selection.kinds, fraction);

  // Each candidate alone, on the selection items: at most every head and MLP, twice when restricted.
  const Checked candidates = result.field("candidates");
  const size_t n_candidates = candidates.array(1, static_cast<size_t>(2 * s.n_layers * (s.n_heads + 1)));
  for (size_t i = 0; i < n_candidates; ++i) {
    const Checked c = candidates[i];
    c.only_fields({"component", "selection"});
    component(c.field("component"), s, selection.n_pos);
    effects(c.field("selection"), false);
  }
  const Checked circuits = result.field("circuits");
  circuits.only_fields({"recall", "reasoning"});
  circuit(circuits.field("recall"), s, test);
  circuit(circuits.field("reasoning"), s, test);

  const Checked ids = result.field("test_items");
  const size_t n_ids = ids.array(static_cast<size_t>(test.n_items), static_cast<size_t>(test.n_items));
  for (size_t i = 0; i < n_ids; ++i) ids[i].string(kMaxText);
  const Checked contrast = result.field("contrast");
  contrast.only_fields({"value", "ci"});
  real_or_null(contrast.field("value"));
  interval(contrast.field("ci"));
  result.field("separated").boolean();
  result.field("statement").string(kMaxStatement);
}

}  // namespace strata::schema
