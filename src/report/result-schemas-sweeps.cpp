// Result validators of the sweeps (ablation, activation patching, causal
// tracing; shapes in their headers) and of the neurons analysis. Every unit
// names a site inside the model: layers, boundaries, heads, neurons and
// positions are checked against the model and the sweep's own n_pos.
#include "report/result-schema-parts.h"

namespace strata::schema {
namespace {

constexpr size_t kMaxHooksPerUnit = 256;  // a causal-tracing window spans at most every layer

// The parts every sweep result shares: no fields but its own and the common
// ones, a time budget if cut, settings with a shard, and its items.
SweepItems sweep_header(const Checked& result, const ReportShape& s, std::initializer_list<const char*> own) {
  result.object();
  for (const auto& item : result.value().items()) {
    bool known = false;
    for (const char* k : {"settings", "items", "n_units", "units", "budget"}) known = known || item.key() == k;
    for (const char* k : own) known = known || item.key() == k;
    if (!known) result.fail("unknown field \"" + item.key() + "\"");
  }
  time_budget(result);
  shard_settings(result.field("settings"));
  return sweep_items(result.field("items"), s);
}

// Every unit: only `fields`, indices increasing below n_units, then `check`.
void each_unit(const Checked& result, std::initializer_list<const char*> fields,
               const std::function<void(const Checked&)>& check) {
  const int64_t n_units = units_header(result, kMaxUnits);
  const Checked units = result.field("units");
  int64_t previous = -1;
  for (size_t i = 0; i < units.value().size(); ++i) {
    const Checked u = units[i];
    u.only_fields(fields);
    unit_index(u, n_units, &previous);
    check(u);
  }
}

// An ablation unit's sites: [{"hook", "head"?, "neurons"?}], at most one per
// hook of a layer.
void site_list(const Checked& sites, const ReportShape& s) {
  const size_t n = sites.array(1, 4);
  for (size_t i = 0; i < n; ++i) {
    const Checked site = sites[i];
    site.only_fields({"hook", "head", "neurons"});
    site.field("hook").string(kMaxText);
    if (site.optional_field("head")) site.field("head").integer(0, s.n_heads - 1);
    if (const auto neurons = site.optional_field("neurons")) {
      const size_t k = neurons->array(1, 1);
      for (size_t j = 0; j < k; ++j) (*neurons)[j].integer(0, s.d_mlp - 1);
    }
  }
}

}  // namespace

void check_ablation(const Checked& result, const ReportShape& s) {
  const SweepItems items = sweep_header(result, s, {"baseline"});
  by_kind_and_family(result.field("baseline"), items, fraction_or_null);
  const auto fields = {"unit", "level", "layer", "head", "neuron", "label", "sites", "accuracy", "drop"};
  each_unit(result, fields, [&](const Checked& u) {
    const std::string level = u.field("level").one_of({"layer", "attn", "mlp", "head", "neuron"});
    u.field("layer").integer(0, s.n_layers - 1);
    if (level == "head") u.field("head").integer(0, s.n_heads - 1);
    if (level == "neuron") u.field("neuron").integer(0, s.d_mlp - 1);
    u.field("label").string(kMaxText);
    site_list(u.field("sites"), s);
    by_kind_and_family(u.field("accuracy"), items, fraction_or_null);
    by_kind_and_family(u.field("drop"), items, signed_fraction_or_null);
  });
}

void check_patching(const Checked& result, const ReportShape& s) {
  const SweepItems items = sweep_header(result, s, {"pairs"});
  by_kind_and_family(result.field("pairs"), items, [&](const Checked& p) {
    p.only_fields({"n", "used", "skipped", "mean_ld_clean", "mean_ld_corrupt"});
    const int64_t n = p.field("n").integer(0, items.n_items);
    const int64_t used = p.field("used").integer(0, n);
    p.field("skipped").integer(n - used, n - used);
    real_or_null(p.field("mean_ld_clean"));
    real_or_null(p.field("mean_ld_corrupt"));
  });
  const auto fields = {"unit", "level", "hook", "boundary", "layer", "head", "position", "label", "recovery"};
  each_unit(result, fields, [&](const Checked& u) {
    const std::string level = u.field("level").one_of({"resid", "attn", "mlp", "head", "attn_pos", "mlp_pos", "head_pos"});
    u.field("hook").string(kMaxText);
    if (level == "resid") u.field("boundary").integer(0, s.n_layers);
    else u.field("layer").integer(0, s.n_layers - 1);
    if (level == "head" || level == "head_pos") u.field("head").integer(0, s.n_heads - 1);
    if (level == "resid" || level == "attn_pos" || level == "mlp_pos" || level == "head_pos")
      u.field("position").integer(0, items.n_pos - 1);
    u.field("label").string(kMaxText);
    by_kind_and_family(u.field("recovery"), items, real_or_null);
  });
}

namespace {

// {"by_kind": {kind: v}, "all": v}
void by_kind_and_all(const Checked& c, const SweepItems& items, const std::function<void(const Checked&)>& value) {
  c.only_fields({"by_kind", "all"});
  kind_map(c.field("by_kind"), &items.kinds, value);
  value(c.field("all"));
}

}  // namespace

void check_causal_tracing(const Checked& result, const ReportShape& s) {
  const SweepItems items = sweep_header(result, s, {"embedding_std", "noise_std", "subject_fraction", "baseline"});
  result.field("embedding_std").number(0, kBig);
  result.field("noise_std").number(0, kBig);
  const Checked subject = result.field("subject_fraction");
  subject.array(static_cast<size_t>(items.n_pos), static_cast<size_t>(items.n_pos));
  for (int64_t p = 0; p < items.n_pos; ++p) fraction(subject[static_cast<size_t>(p)]);
  by_kind_and_all(result.field("baseline"), items, [&](const Checked& b) {
    b.only_fields({"n", "p_clean", "p_corrupt"});
    b.field("n").integer(0, items.n_items);
    fraction_or_null(b.field("p_clean"));
    fraction_or_null(b.field("p_corrupt"));
  });
  const auto fields = {"unit",  "level", "boundary", "layer", "layers", "position",
                       "hooks", "label", "indirect_effect", "restored_prob"};
  each_unit(result, fields, [&](const Checked& u) {
    const std::string level = u.field("level").one_of({"resid", "mlp", "attn"});
    if (level == "resid") {
      u.field("boundary").integer(0, s.n_layers);
    } else {
      u.field("layer").integer(0, s.n_layers - 1);
      const Checked layers = u.field("layers");
      const size_t n = layers.array(1, static_cast<size_t>(s.n_layers));
      for (size_t l = 0; l < n; ++l) layers[l].integer(0, s.n_layers - 1);
    }
    u.field("position").integer(0, items.n_pos - 1);
    hook_list(u.field("hooks"), kMaxHooksPerUnit);
    u.field("label").string(kMaxText);
    by_kind_and_all(u.field("indirect_effect"), items, signed_fraction_or_null);
    by_kind_and_all(u.field("restored_prob"), items, fraction_or_null);
  });
}

namespace {

// {"counts": [bins], "quantiles": [n_quantiles], "firing"}; returns the items counted.
int64_t neuron_group(const Checked& g, size_t bins, size_t n_quantiles) {
  g.only_fields({"counts", "quantiles", "firing"});
  const Checked counts = g.field("counts");
  counts.array(bins, bins);
  int64_t total = 0;
  for (size_t i = 0; i < bins; ++i) total += counts[i].integer(0, 1 << 24);
  const Checked quantiles = g.field("quantiles");
  quantiles.array(n_quantiles, n_quantiles);
  for (size_t i = 0; i < n_quantiles; ++i) real_or_null(quantiles[i]);
  fraction_or_null(g.field("firing"));
  return total;
}

}  // namespace

void check_neurons(const Checked& result, const ReportShape& s) {
  result.only_fields({"items", "mlp_activation", "quantile_levels", "settings", "layers"});
  result.field("settings").object(64);
  result.field("mlp_activation").string(kMaxText);
  const int64_t n_items = study_items(result.field("items"), s).total();
  const Checked levels = result.field("quantile_levels");
  const size_t n_quantiles = levels.array(0, 64);
  for (size_t i = 0; i < n_quantiles; ++i) fraction(levels[i]);

  const Checked layers = result.field("layers");
  layers.array(static_cast<size_t>(s.n_layers), static_cast<size_t>(s.n_layers));
  for (int64_t l = 0; l < s.n_layers; ++l) {
    const Checked layer = layers[static_cast<size_t>(l)];
    layer.only_fields({"layer", "recall", "reasoning", "neurons"});
    layer.field("layer").integer(l, l);
    const Checked neurons = layer.field("neurons");
    const size_t n = neurons.array(0, static_cast<size_t>(s.d_mlp));
    layer.field("recall").integer(0, s.d_mlp);  // labelled neurons of the whole layer, not only those listed
    layer.field("reasoning").integer(0, s.d_mlp);
    for (size_t i = 0; i < n; ++i) {
      const Checked u = neurons[i];
      u.only_fields({"neuron", "d", "u", "p", "p_bonferroni", "mean_recall", "mean_reasoning", "label", "bin_edges",
                     "recall", "reasoning", "mixed"});
      u.field("neuron").integer(0, s.d_mlp - 1);
      for (const char* f : {"d", "u", "mean_recall", "mean_reasoning"}) real_or_null(u.field(f));
      fraction_or_null(u.field("p"));
      fraction_or_null(u.field("p_bonferroni"));
      u.field("label").one_of({"recall", "reasoning", "none"});
      const Checked edges = u.field("bin_edges");
      const size_t n_edges = edges.array(2, 1001);
      for (size_t e = 0; e < n_edges; ++e) real(edges[e]);
      for (const char* g : {"recall", "reasoning", "mixed"}) {
        if (std::string(g) == "mixed" && !u.optional_field("mixed")) continue;
        if (neuron_group(u.field(g), n_edges - 1, n_quantiles) > n_items) u.field(g).fail("counts more items than the result has");
      }
    }
  }
}

}  // namespace strata::schema
