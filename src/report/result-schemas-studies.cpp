// Result validators of the analyses over the study's items (study-features.h):
// the recall/reasoning study with its nulls (study.h) and the linear probes
// (probes.h). Layers, heads, neurons and boundaries are checked against the
// model; item counts against the suite.
#include "report/result-schema-parts.h"

namespace strata::schema {
namespace {

constexpr size_t kMaxReplications = 50;  // study.replications' upper bound
constexpr size_t kMaxNulls = 16;

std::string unit_label(const Checked& c) { return c.one_of({"recall", "reasoning", "mixed", "none"}); }

// {"mean_recall", "mean_reasoning", "mean_mixed"?, "d", "u", "p"} (study-labels.h's comparison_json).
void comparison(const Checked& c) {
  for (const char* key : {"mean_recall", "mean_reasoning", "d"}) real_or_null(c.field(key));
  if (c.optional_field("mean_mixed")) real_or_null(c.field("mean_mixed"));
  c.field("u").number(0, kBig);
  fraction(c.field("p"));
}

// [[label on half a, label on half b] per draw], its consistency and verdict.
void replication(const Checked& unit) {
  const Checked draws = unit.field("replication_labels");
  const size_t n = draws.array(0, kMaxReplications);
  for (size_t i = 0; i < n; ++i) {
    draws[i].array(2, 2);
    unit_label(draws[i][0]);
    unit_label(draws[i][1]);
  }
  fraction(unit.field("consistency"));
  unit.field("consistent").boolean();
}

// A layer or head: its metrics (each a comparison; voting ones with "p_bh" and "vote") and votes.
void labelled_unit(const Checked& u, size_t max_metrics) {
  u.field("metrics").object(max_metrics);
  kind_map(u.field("metrics"), nullptr, [](const Checked& m) {
    m.only_fields({"mean_recall", "mean_reasoning", "mean_mixed", "d", "u", "p", "votes", "p_bh", "vote"});
    comparison(m);
    if (m.field("votes").boolean()) {
      fraction(m.field("p_bh"));
      if (!m.field("vote").is_null()) m.field("vote").one_of({"recall", "reasoning"});
    }
  });
  u.field("votes_recall").integer(0, static_cast<int64_t>(max_metrics));
  u.field("votes_reasoning").integer(0, static_cast<int64_t>(max_metrics));
  unit_label(u.field("label"));
  replication(u);
}

void unit_totals(const Checked& t, int64_t n) {
  t.only_fields({"n", "recall", "reasoning", "mixed", "none", "specialised", "consistent"});
  t.field("n").integer(n, n);
  for (const char* key : {"recall", "reasoning", "mixed", "none", "specialised", "consistent"}) t.field(key).integer(0, n);
}

void totals(const Checked& t, const ReportShape& s) {
  t.only_fields({"layers", "heads", "neurons"});
  unit_totals(t.field("layers"), s.n_layers);
  unit_totals(t.field("heads"), s.n_layers * s.n_heads);
  const Checked n = t.field("neurons");
  n.only_fields({"n", "recall", "reasoning", "task_specific", "fraction_task_specific", "top", "top_consistent"});
  const int64_t tested = s.n_layers * s.d_mlp;
  n.field("n").integer(tested, tested);
  for (const char* key : {"recall", "reasoning", "task_specific", "top", "top_consistent"}) n.field(key).integer(0, tested);
  fraction(n.field("fraction_task_specific"));
}

// {"layers": [label per layer], "heads": [label per head], "totals"}: the labels of one contrast.
void compact_labels(const Checked& c, const ReportShape& s) {
  c.only_fields({"layers", "heads", "totals"});
  const Checked layers = c.field("layers"), heads = c.field("heads");
  const size_t n_layers = static_cast<size_t>(s.n_layers), n_heads = static_cast<size_t>(s.n_layers * s.n_heads);
  layers.array(n_layers, n_layers);
  for (size_t i = 0; i < n_layers; ++i) unit_label(layers[i]);
  heads.array(n_heads, n_heads);
  for (size_t i = 0; i < n_heads; ++i) unit_label(heads[i]);
  totals(c.field("totals"), s);
}

}  // namespace

StudyItemCounts study_items(const Checked& items, const ReportShape& s) {
  items.only_fields({"recall", "reasoning", "mixed", "by_kind", "kinds", "prompt_tokens", "answered_wrong", "answered"});
  answered_wrong_counts(items, s);
  if (const auto answered = items.optional_field("answered")) answered->one_of({"all"});
  const int64_t suite_items = s.suite_items.value_or(0);
  StudyItemCounts out;
  out.recall = items.field("recall").integer(0, suite_items);
  out.reasoning = items.field("reasoning").integer(0, suite_items);
  out.mixed = items.field("mixed").integer(0, suite_items);
  if (out.total() > suite_items) items.fail("more items than the suite's " + std::to_string(suite_items));
  out.kinds = kind_map(items.field("by_kind"), nullptr, [&](const Checked& n) { n.integer(1, suite_items); });
  const Checked kinds = items.field("kinds");
  const size_t n_kinds = kinds.array(out.kinds.size(), out.kinds.size());
  for (size_t i = 0; i < n_kinds; ++i) {
    const Checked k = kinds[i];
    k.only_fields({"kind", "family", "split", "n"});
    if (!out.kinds.count(k.field("kind").string(kMaxText))) k.field("kind").fail("not among the result's kinds");
    family(k.field("family"));
    k.field("split").string(kMaxText);
    k.field("n").integer(1, suite_items);
  }
  const std::set<std::string> groups = {"recall", "reasoning", "mixed"};
  kind_map(items.field("prompt_tokens"), &groups, [&](const Checked& t) {
    t.only_fields({"min", "max"});
    const int64_t min = t.field("min").integer(1, s.n_ctx);
    t.field("max").integer(min, s.n_ctx);
  });
  return out;
}

void check_study(const Checked& result, const ReportShape& s) {
  result.only_fields({"items", "mlp_activation", "sign", "settings", "layers", "heads", "neurons", "totals", "labels", "nulls"});
  study_items(result.field("items"), s);
  result.field("mlp_activation").string(kMaxText);
  result.field("sign").string(kMaxText);
  result.field("settings").object(64);

  const Checked layers = result.field("layers");
  layers.array(static_cast<size_t>(s.n_layers), static_cast<size_t>(s.n_layers));
  for (int64_t l = 0; l < s.n_layers; ++l) {
    const Checked layer = layers[static_cast<size_t>(l)];
    layer.only_fields({"layer", "metrics", "votes_recall", "votes_reasoning", "label", "replication_labels", "consistency",
                       "consistent"});
    layer.field("layer").integer(l, l);
    labelled_unit(layer, 16);
  }
  const Checked heads = result.field("heads");
  heads.array(static_cast<size_t>(s.n_layers * s.n_heads), static_cast<size_t>(s.n_layers * s.n_heads));
  for (int64_t i = 0; i < s.n_layers * s.n_heads; ++i) {  // layer-major
    const Checked head = heads[static_cast<size_t>(i)];
    head.only_fields({"layer", "head", "metrics", "votes_recall", "votes_reasoning", "label", "replication_labels",
                      "consistency", "consistent"});
    head.field("layer").integer(i / s.n_heads, i / s.n_heads);
    head.field("head").integer(i % s.n_heads, i % s.n_heads);
    labelled_unit(head, 16);
  }

  const Checked neurons = result.field("neurons");
  neurons.only_fields({"tested", "by_layer", "top"});
  neurons.field("tested").integer(s.n_layers * s.d_mlp, s.n_layers * s.d_mlp);
  const Checked by_layer = neurons.field("by_layer");
  by_layer.array(static_cast<size_t>(s.n_layers), static_cast<size_t>(s.n_layers));
  for (int64_t l = 0; l < s.n_layers; ++l) {
    const Checked layer = by_layer[static_cast<size_t>(l)];
    layer.only_fields({"layer", "recall", "reasoning"});
    layer.field("layer").integer(l, l);
    layer.field("recall").integer(0, s.d_mlp);
    layer.field("reasoning").integer(0, s.d_mlp);
  }
  const Checked top = neurons.field("top");
  const size_t n_top = top.array(0, static_cast<size_t>(std::min<int64_t>(s.n_layers * s.d_mlp, kMaxUnits)));
  for (size_t i = 0; i < n_top; ++i) {
    const Checked u = top[i];
    u.only_fields({"layer", "neuron", "mean_recall", "mean_reasoning", "mean_mixed", "d", "u", "p", "p_bonferroni", "label",
                   "replication_labels", "consistency", "consistent"});
    u.field("layer").integer(0, s.n_layers - 1);
    u.field("neuron").integer(0, s.d_mlp - 1);
    comparison(u);
    fraction(u.field("p_bonferroni"));
    u.field("label").one_of({"recall", "reasoning"});
    replication(u);
  }
  totals(result.field("totals"), s);
  compact_labels(result.field("labels"), s);

  if (const auto nulls = result.optional_field("nulls")) {
    const size_t n = nulls->array(0, kMaxNulls);
    for (size_t i = 0; i < n; ++i) {
      const Checked null = (*nulls)[i];
      null.only_fields({"name", "sides", "n", "labels", "skipped"});
      null.field("name").string(kMaxText);
      const Checked sides = null.field("sides"), counts = null.field("n");
      sides.array(2, 2);
      counts.array(2, 2);
      for (size_t j = 0; j < 2; ++j) {
        sides[j].string(kMaxText);
        counts[j].integer(0, s.suite_items.value_or(0));
      }
      if (null.optional_field("skipped")) {
        null.field("skipped").string(kMaxText);
        if (!null.field("labels").is_null()) null.field("labels").fail_expected("null (the null was skipped)");
      } else {
        compact_labels(null.field("labels"), s);
      }
    }
  }
}

namespace {

// One probe at one boundary: accuracies as fractions, selectivities as their
// differences; an accuracy over nothing is null with a reason beside it.
void probe_boundary(const Checked& p, const std::string& boundary, bool answer, bool trained_with_random) {
  std::vector<const char*> keys = {"boundary", "train_accuracy", "test_accuracy", "control_accuracy", "selectivity", "reason"};
  if (answer)
    for (const char* k : {"test_accuracy_recall", "test_accuracy_reasoning", "test_accuracy_recall_reason",
                          "test_accuracy_reasoning_reason"})
      keys.push_back(k);
  if (trained_with_random)
    for (const char* k : {"random_accuracy", "selectivity_vs_random", "selectivity_vs_random_reason"}) keys.push_back(k);
  p.object();
  for (const auto& item : p.value().items()) {
    bool known = false;
    for (const char* k : keys) known = known || item.key() == k;
    if (!known) p.fail("unknown field \"" + item.key() + "\"");
  }
  p.field("boundary").one_of({boundary.c_str()});
  bool any_null = false;
  for (const char* key : {"train_accuracy", "test_accuracy", "control_accuracy"}) any_null |= !fraction_or_null(p.field(key));
  any_null |= !signed_fraction_or_null(p.field("selectivity"));
  if (any_null) p.field("reason").string(kMaxText);
  if (answer) {
    for (const std::string family : {"recall", "reasoning"}) {
      const std::string key = "test_accuracy_" + family;
      if (!p.optional_field(key.c_str())) continue;  // absent with no test items at all
      if (!fraction_or_null(p.field(key.c_str()))) p.field((key + "_reason").c_str()).string(kMaxText);
    }
  }
  if (trained_with_random) {
    fraction_or_null(p.field("random_accuracy"));
    if (!signed_fraction_or_null(p.field("selectivity_vs_random"))) p.field("selectivity_vs_random_reason").string(kMaxText);
  }
}

void probe_task(const Checked& task, const std::vector<std::string>& boundaries, bool answer, size_t max_classes,
                int64_t n_items) {
  task.only_fields({"classes", "majority_accuracy", "majority_accuracy_reason", "control_types", "trained", "random"});
  const Checked classes = task.field("classes");
  const size_t n_classes = classes.array(answer ? 0 : 2, answer ? max_classes : 2);
  for (size_t i = 0; i < n_classes; ++i) classes[i].string(kMaxText);
  if (!fraction_or_null(task.field("majority_accuracy"))) task.field("majority_accuracy_reason").string(kMaxText);
  task.field("control_types").integer(0, n_items);  // types of the probed token
  const bool random = task.optional_field("random").has_value();
  for (const char* model : {"trained", "random"}) {
    if (std::string(model) == "random" && !random) continue;
    const Checked list = task.field(model);
    list.array(boundaries.size(), boundaries.size());
    for (size_t b = 0; b < boundaries.size(); ++b)
      probe_boundary(list[b], boundaries[b], answer, random && std::string(model) == "trained");
  }
}

}  // namespace

void check_probes(const Checked& result, const ReportShape& s) {
  result.only_fields({"items", "train_items", "test_items", "boundaries", "control", "settings", "family", "answer"});
  const StudyItemCounts items = study_items(result.field("items"), s);
  const int64_t train = result.field("train_items").integer(0, items.total());
  result.field("test_items").integer(items.total() - train, items.total() - train);
  const Checked boundaries = result.field("boundaries");
  const size_t n = static_cast<size_t>(s.n_layers + 1);
  boundaries.array(n, n);
  std::vector<std::string> names;
  for (size_t b = 0; b < n; ++b) names.push_back(boundaries[b].string(kMaxText));
  result.field("control").string(kMaxText);
  result.field("settings").object(64);
  probe_task(result.field("family"), names, false, 2, items.total());
  probe_task(result.field("answer"), names, true, static_cast<size_t>(std::min<int64_t>(s.d_vocab, items.total())),
             items.total());
}

}  // namespace strata::schema
