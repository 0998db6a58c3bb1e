// The table of result validators, the model shape they check against, and
// the pieces several analyses share (kind maps, sweep item sets, units).
#include "report/result-schemas.h"

#include <cmath>

#include "analysis/registry.h"
#include "base/error.h"
#include "report/result-schema-parts.h"

namespace strata {

using schema::kMaxText;

ReportShape report_shape(const Checked& c, const std::optional<int64_t>& suite_items) {
  c.only_fields({"model_type", "family", "n_layers", "d_model", "n_heads", "n_kv_heads", "d_head", "d_mlp", "d_vocab",
                 "n_ctx", "tied_embeddings", "parameters", "tokenizer"});
  ReportShape s;
  c.field("model_type").string(kMaxText);
  s.family = c.field("family").one_of({"gpt2", "llama"});
  // The same caps as config.json's (src/io/model-config.cpp).
  s.n_layers = c.field("n_layers").integer(1, 256);
  s.d_model = c.field("d_model").integer(1, 16384);
  s.n_heads = c.field("n_heads").integer(1, 256);
  s.n_kv_heads = c.field("n_kv_heads").integer(1, s.n_heads);
  if (s.n_heads % s.n_kv_heads != 0) c.field("n_kv_heads").fail_expected("a divisor of n_heads " + std::to_string(s.n_heads));
  s.d_head = c.field("d_head").integer(1, 1024);
  s.d_mlp = c.field("d_mlp").integer(1, 131072);
  s.d_vocab = c.field("d_vocab").integer(1, 1'000'000);
  s.n_ctx = c.field("n_ctx").integer(1, 1'048'576);
  c.field("tied_embeddings").boolean();
  c.field("parameters").integer(0, int64_t{1} << 53);
  c.field("tokenizer").boolean();
  s.suite_items = suite_items;
  return s;
}

const std::map<std::string, ResultValidator>& result_validators() {
  static const std::map<std::string, ResultValidator> table = [] {
    std::map<std::string, ResultValidator> t = {
        {"logit-lens", schema::check_logit_lens},
        {"attention-flow", schema::check_attention_flow},
        {"attribution", schema::check_attribution},
        {"head-scores", schema::check_head_scores},
        {"ablation", schema::check_ablation},
        {"patching", schema::check_patching},
        {"causal-tracing", schema::check_causal_tracing},
        {"neurons", schema::check_neurons},
        {"tuned-lens", schema::check_tuned_lens},
        {"circuits", schema::check_circuits},
        {"study", schema::check_study},
        {"probes", schema::check_probes},
    };
    for (const AnalysisEntry& e : analysis_table())
      if (!t.count(e.name)) throw Error(std::string("result schema: no entry for analysis ") + e.name);
    return t;
  }();
  return table;
}

void check_result(const std::string& analysis, const Checked& result, const ReportShape& shape) {
  result.object();
  const auto it = result_validators().find(analysis);
  if (it == result_validators().end()) result.fail("no result schema for this analysis");
  it->second(result, shape);
}

namespace schema {

double fraction(const Checked& c) {
  // Averages of values in [0, 1] may round a hair outside it.
  const double x = c.value().is_number() ? c.value().get<double>() : NAN;
  if (!(x >= -1e-9 && x <= 1 + 1e-9)) c.fail_expected("a fraction in [0, 1]");
  return x;
}

std::optional<double> fraction_or_null(const Checked& c) {
  if (c.is_null()) return std::nullopt;
  if (!c.value().is_number()) c.fail_expected("a fraction in [0, 1] or null");
  return fraction(c);
}

std::optional<double> signed_fraction_or_null(const Checked& c) {
  if (c.is_null()) return std::nullopt;
  const double x = c.value().is_number() ? c.value().get<double>() : NAN;
  if (!(x >= -1 - 1e-9 && x <= 1 + 1e-9)) c.fail_expected("a number in [-1, 1] or null");
  return x;
}

std::optional<double> real_or_null(const Checked& c) { return c.number_or_null(-kBig, kBig); }

double real(const Checked& c) { return c.number(-kBig, kBig); }

int64_t token_id(const Checked& c, const ReportShape& s) { return c.integer(0, s.d_vocab - 1); }

std::set<std::string> kind_map(const Checked& map, const std::set<std::string>* allowed,
                               const std::function<void(const Checked&)>& value) {
  map.object(kMaxKinds);
  std::set<std::string> keys;
  for (const auto& item : map.value().items()) {
    const Checked v(item.value(), map.path() + ": " + item.key());
    if (item.key().size() > kMaxText) v.fail("name longer than " + std::to_string(kMaxText) + " bytes");
    if (allowed && !allowed->count(item.key())) v.fail("not among the result's kinds");
    value(v);
    keys.insert(item.key());
  }
  return keys;
}

std::string family(const Checked& c) { return c.one_of({"recall", "reasoning", "mixed", "conflict"}); }

int64_t suite_size(const ReportShape& s) { return s.suite_items.value_or(0); }

void numbers(const Checked& c, size_t n, const std::function<void(const Checked&)>& value) {
  c.array(n, n);
  for (size_t i = 0; i < n; ++i) value(c[i]);
}

void answered_wrong_counts(const Checked& result, const ReportShape& s) {
  if (const auto counts = result.optional_field("answered_wrong"))
    kind_map(*counts, nullptr, [&](const Checked& n) { n.integer(0, suite_size(s)); });
}

void time_budget(const Checked& result, bool objective) {
  const auto budget = result.optional_field("budget");
  if (!budget) return;
  if (objective)
    budget->only_fields({"budget_seconds", "estimated_seconds_all", "items_per_kind_all", "estimated_seconds",
                         "items_per_kind", "objective"});
  else
    budget->only_fields({"budget_seconds", "estimated_seconds_all", "items_per_kind_all", "estimated_seconds",
                         "items_per_kind"});
  budget->field("budget_seconds").number(0, 86400);
  budget->field("estimated_seconds_all").number(0, kBig);
  budget->field("estimated_seconds").number(0, kBig);
  const int64_t all = budget->field("items_per_kind_all").integer(1, 100000);
  budget->field("items_per_kind").integer(1, all);
  if (objective) budget->field("objective").one_of({"kl", "least-squares"});
}

SweepItems sweep_items(const Checked& items, const ReportShape& s) {
  items.only_fields({"kinds", "families", "n_pos", "all_wrong_kinds"});
  if (const auto left_out = items.optional_field("all_wrong_kinds")) {
    const size_t n = left_out->array(1, kMaxKinds);
    for (size_t i = 0; i < n; ++i) (*left_out)[i].string(kMaxText);
  }
  SweepItems out;
  out.n_pos = items.field("n_pos").integer(1, s.n_ctx);
  const Checked kinds = items.field("kinds");
  const size_t n_kinds = kinds.array(0, kMaxKinds);
  std::set<std::string> own_families;
  for (size_t i = 0; i < n_kinds; ++i) {
    const Checked k = kinds[i];
    k.only_fields({"kind", "family", "split", "n", "ids", "answered_wrong"});
    if (const auto wrong = k.optional_field("answered_wrong")) wrong->integer(0, s.suite_items.value_or(0));
    const std::string name = k.field("kind").string(kMaxText);
    if (!out.kinds.insert(name).second) k.field("kind").fail("repeated kind " + name);
    own_families.insert(family(k.field("family")));
    k.field("split").string(kMaxText);
    const int64_t n = k.field("n").integer(0, s.suite_items.value_or(0));
    const Checked ids = k.field("ids");  // one per item
    ids.array(static_cast<size_t>(n), static_cast<size_t>(n));
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) ids[i].string(kMaxText);
    out.n_items += n;
  }
  if (out.n_items > s.suite_items.value_or(0))
    kinds.fail("the kinds' items add up to " + std::to_string(out.n_items) + ", more than the suite's " +
               std::to_string(s.suite_items.value_or(0)));
  const Checked families = items.field("families");
  const size_t n_families = families.array(0, 3);
  for (size_t i = 0; i < n_families; ++i) {
    const std::string f = family(families[i]);
    if (!own_families.count(f)) families[i].fail("no kind of family " + f);
    out.families.insert(f);
  }
  return out;
}

void by_kind_and_family(const Checked& c, const SweepItems& items, const std::function<void(const Checked&)>& value) {
  c.only_fields({"by_kind", "by_family"});
  kind_map(c.field("by_kind"), &items.kinds, value);
  kind_map(c.field("by_family"), &items.families, value);
}

int64_t units_header(const Checked& result, int64_t max_units) {
  const int64_t n_units = result.field("n_units").integer(0, max_units);
  const Checked units = result.field("units");
  units.array(0, static_cast<size_t>(n_units));
  return n_units;
}

void unit_index(const Checked& unit, int64_t n_units, int64_t* previous) {
  const int64_t i = unit.field("unit").integer(*previous + 1, n_units - 1);
  *previous = i;
}

void shard_settings(const Checked& settings) {
  settings.object(64);
  if (const auto shard = settings.optional_field("shard")) {
    shard->array(2, 2);
    const int64_t count = (*shard)[1].integer(1, 1 << 20);
    (*shard)[0].integer(0, count - 1);
  }
}

void hook_list(const Checked& c, size_t max) {
  const size_t n = c.array(0, max);
  for (size_t i = 0; i < n; ++i) c[i].string(kMaxText);
}

}  // namespace schema
}  // namespace strata
