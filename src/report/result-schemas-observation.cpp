// Result validators of the observation analyses: logit lens, tuned lens,
// attention flow, direct logit attribution and head scores (shapes in
// observation-runners.h and each analysis's header). Each has a "prompt" mode
// (one case, per position) and a "suite" mode (per kind, at the last prompt
// token); head scores are model-wide. The tuned lens always has its suite
// part (fit and held-out quality per kind), and in prompt mode the lens view.
#include "report/result-schema-parts.h"

namespace strata::schema {
namespace {

// {"shape": [rows, cols], "data": [rows × cols numbers]} with the shape given; each value checked.
void matrix(const Checked& c, int64_t rows, int64_t cols, const std::function<void(const Checked&)>& value) {
  c.only_fields({"shape", "data"});
  const Checked shape = c.field("shape");
  shape.array(2, 2);
  shape[0].integer(rows, rows);
  shape[1].integer(cols, cols);
  const Checked data = c.field("data");
  const size_t n = data.array(static_cast<size_t>(rows * cols), static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < n; ++i) value(data[i]);
}

// {"ids": [...], "tokens": [...], "answer", "foil", "item"}; returns the prompt's length.
int64_t prompt_case(const Checked& c, const ReportShape& s) {
  c.only_fields({"ids", "tokens", "answer", "foil", "item"});
  const Checked ids = c.field("ids");
  const size_t n = ids.array(1, static_cast<size_t>(s.n_ctx));
  for (size_t i = 0; i < n; ++i) token_id(ids[i], s);
  const Checked tokens = c.field("tokens");
  tokens.array(n, n);
  for (size_t i = 0; i < n; ++i) tokens[i].string(kMaxText);
  token_id(c.field("answer"), s);
  if (!c.field("foil").is_null()) token_id(c.field("foil"), s);
  if (!c.field("item").is_null()) c.field("item").string(kMaxText);
  return static_cast<int64_t>(n);
}

// "mode": "prompt" | "suite"; in suite mode also "position" and a by_kind map of at least one kind.
bool prompt_mode(const Checked& result) {
  return result.field("mode").one_of({"prompt", "suite"}) == "prompt";
}

void suite_kind(const Checked& k) {
  family(k.field("family"));
  k.field("n").integer(1, 1 << 24);
}

void boundary_hooks(const Checked& c, const ReportShape& s) {
  const size_t n = c.array(static_cast<size_t>(s.n_layers + 1), static_cast<size_t>(s.n_layers + 1));
  for (size_t i = 0; i < n; ++i) c[i].string(kMaxText);
}

void lens_cell(const Checked& cell, const ReportShape& s, bool target, bool foil) {
  cell.only_fields({"top", "kl_to_final", "entropy", "target_prob", "target_rank", "foil_prob", "foil_rank"});
  const Checked top = cell.field("top");
  const size_t k = top.array(0, static_cast<size_t>(s.d_vocab));
  for (size_t i = 0; i < k; ++i) {
    top[i].only_fields({"id", "prob"});
    token_id(top[i].field("id"), s);
    fraction(top[i].field("prob"));
  }
  real(cell.field("kl_to_final"));
  real(cell.field("entropy"));
  if (target) {
    fraction(cell.field("target_prob"));
    cell.field("target_rank").integer(1, s.d_vocab);
  }
  if (foil) {
    fraction(cell.field("foil_prob"));
    cell.field("foil_rank").integer(1, s.d_vocab);
  }
}

void prompt_lens(const Checked& lens, const ReportShape& s, int64_t n_pos) {
  lens.only_fields({"lens", "n_layers", "positions", "boundaries", "target", "foil"});
  lens.field("lens").one_of({"logit", "tuned"});
  lens.field("n_layers").integer(s.n_layers, s.n_layers);
  const Checked positions = lens.field("positions");
  const size_t n_cells = positions.array(0, static_cast<size_t>(n_pos));
  for (size_t i = 0; i < n_cells; ++i) positions[i].integer(0, n_pos - 1);
  const bool target = !lens.field("target").is_null();
  if (target) token_id(lens.field("target"), s);
  // "foil" came with the foil's figures; a report written before has neither.
  const std::optional<Checked> foil_field = lens.optional_field("foil");
  const bool foil = foil_field && !foil_field->is_null();
  if (foil) token_id(*foil_field, s);
  const Checked boundaries = lens.field("boundaries");
  boundaries.array(static_cast<size_t>(s.n_layers + 1), static_cast<size_t>(s.n_layers + 1));
  for (int64_t b = 0; b <= s.n_layers; ++b) {
    const Checked boundary = boundaries[static_cast<size_t>(b)];
    boundary.only_fields({"boundary", "hook", "mean_kl_to_final", "cells"});
    boundary.field("boundary").integer(b, b);
    boundary.field("hook").string(kMaxText);
    real(boundary.field("mean_kl_to_final"));
    const Checked cells = boundary.field("cells");
    cells.array(n_cells, n_cells);
    for (size_t i = 0; i < n_cells; ++i) lens_cell(cells[i], s, target, foil);
  }
}

// The logit (or tuned) lens per kind at the answer position: every figure per boundary.
void lens_by_kind(const Checked& by_kind, const ReportShape& s, const std::set<std::string>* kinds) {
  const size_t n = static_cast<size_t>(s.n_layers + 1);
  kind_map(by_kind, kinds, [&](const Checked& k) {
    k.only_fields({"family", "n", "answer_prob", "answer_rank", "answer_top1", "kl_to_final"});
    suite_kind(k);
    numbers(k.field("answer_prob"), n, fraction);
    numbers(k.field("answer_rank"), n, [&](const Checked& r) { r.number(1, static_cast<double>(s.d_vocab)); });
    numbers(k.field("answer_top1"), n, fraction);
    numbers(k.field("kl_to_final"), n, real);
  });
}

// The tuned lens's quality on a set of items: mean KL per boundary, both lenses.
void lens_quality(const Checked& q, const ReportShape& s) {
  q.field("n_items").integer(1, suite_size(s));
  q.field("n_positions").integer(1, suite_size(s) * s.n_ctx);
  numbers(q.field("kl_logit_lens"), static_cast<size_t>(s.n_layers + 1), real);
  numbers(q.field("kl_tuned_lens"), static_cast<size_t>(s.n_layers + 1), real);
}

void kind_quality(const Checked& k, const ReportShape& s) {
  k.only_fields({"n_items", "n_positions", "tuned_kl", "logit_kl"});
  k.field("n_items").integer(1, suite_size(s));
  k.field("n_positions").integer(1, suite_size(s) * s.n_ctx);
  numbers(k.field("tuned_kl"), static_cast<size_t>(s.n_layers + 1), real);
  numbers(k.field("logit_kl"), static_cast<size_t>(s.n_layers + 1), real);
}

}  // namespace

void check_logit_lens(const Checked& result, const ReportShape& s) {
  if (prompt_mode(result)) {
    result.only_fields({"mode", "case", "lens"});
    prompt_lens(result.field("lens"), s, prompt_case(result.field("case"), s));
    return;
  }
  result.only_fields({"mode", "position", "boundary_hooks", "by_kind", "answered_wrong"});
  answered_wrong_counts(result, s);
  result.field("position").string(kMaxText);
  boundary_hooks(result.field("boundary_hooks"), s);
  lens_by_kind(result.field("by_kind"), s, nullptr);
}

void check_tuned_lens(const Checked& result, const ReportShape& s) {
  const bool prompt = prompt_mode(result);
  if (prompt) {
    result.only_fields({"mode", "fit_method", "settings", "boundary_hooks", "fit", "heldout", "by_kind_items", "by_kind",
                        "case", "lens", "answered_wrong", "budget"});
    prompt_lens(result.field("lens"), s, prompt_case(result.field("case"), s));
  } else {
    result.only_fields(
        {"mode", "fit_method", "settings", "boundary_hooks", "fit", "heldout", "by_kind_items", "by_kind", "answered_wrong",
         "budget"});
  }
  answered_wrong_counts(result, s);
  time_budget(result, true);
  result.field("fit_method").string(kMaxText);
  result.field("settings").object(64);
  boundary_hooks(result.field("boundary_hooks"), s);
  const Checked fit = result.field("fit");
  fit.only_fields({"n_items", "n_positions", "by_kind", "positions_by_kind", "kl_logit_lens", "kl_tuned_lens", "kl_by_kind",
                   "objective_start", "objective_end"});
  lens_quality(fit, s);
  const std::set<std::string> kinds =
      kind_map(fit.field("by_kind"), nullptr, [&](const Checked& n) { n.integer(1, suite_size(s)); });
  kind_map(fit.field("positions_by_kind"), &kinds, [&](const Checked& n) { n.integer(1, suite_size(s) * s.n_ctx); });
  kind_map(fit.field("kl_by_kind"), &kinds, [&](const Checked& k) { kind_quality(k, s); });
  for (const char* key : {"objective_start", "objective_end"})
    if (fit.optional_field(key)) numbers(fit.field(key), static_cast<size_t>(s.n_layers), real);

  const Checked heldout = result.field("heldout");
  heldout.only_fields({"n_items", "n_positions", "kl_logit_lens", "kl_tuned_lens", "by_kind", "tuned_above_logit"});
  lens_quality(heldout, s);
  kind_map(heldout.field("by_kind"), &kinds, [&](const Checked& k) { kind_quality(k, s); });
  const Checked above = heldout.field("tuned_above_logit");
  const size_t n_above = above.array(0, kinds.size() * static_cast<size_t>(s.n_layers + 1));
  for (size_t i = 0; i < n_above; ++i) {
    const Checked a = above[i];
    a.only_fields({"kind", "boundary", "heldout_tuned_kl", "heldout_logit_kl", "fit_tuned_kl", "fit_logit_kl", "reason"});
    if (!kinds.count(a.field("kind").string(kMaxText))) a.field("kind").fail("not among the result's kinds");
    a.field("boundary").integer(0, s.n_layers);
    for (const char* key : {"heldout_tuned_kl", "heldout_logit_kl", "fit_tuned_kl", "fit_logit_kl"}) real(a.field(key));
    a.field("reason").string(kMaxText);
  }
  result.field("by_kind_items").one_of({"heldout"});
  lens_by_kind(result.field("by_kind"), s, &kinds);
}

void check_attention_flow(const Checked& result, const ReportShape& s) {
  if (prompt_mode(result)) {
    result.only_fields({"mode", "case", "rollout", "flow"});
    const int64_t n_pos = prompt_case(result.field("case"), s);
    const Checked rollout = result.field("rollout");
    rollout.only_fields({"rollout"});
    const Checked layers = rollout.field("rollout");
    layers.array(static_cast<size_t>(s.n_layers), static_cast<size_t>(s.n_layers));
    for (int64_t l = 0; l < s.n_layers; ++l) matrix(layers[static_cast<size_t>(l)], n_pos, n_pos, fraction);
    const Checked flow = result.field("flow");
    flow.only_fields({"layer", "positions", "flow", "raw"});
    flow.field("layer").integer(1, s.n_layers);
    const Checked positions = flow.field("positions");
    const size_t n_out = positions.array(1, static_cast<size_t>(n_pos));
    for (size_t i = 0; i < n_out; ++i) positions[i].integer(0, n_pos - 1);
    matrix(flow.field("flow"), static_cast<int64_t>(n_out), n_pos, fraction);
    matrix(flow.field("raw"), static_cast<int64_t>(n_out), n_pos, [](const Checked& x) { x.number(0, kBig); });
    return;
  }
  result.only_fields({"mode", "position", "layer", "by_kind", "answered_wrong"});
  answered_wrong_counts(result, s);
  result.field("position").string(kMaxText);
  result.field("layer").integer(1, s.n_layers);
  kind_map(result.field("by_kind"), nullptr, [&](const Checked& k) {
    k.only_fields({"family", "n", "n_pos", "rollout", "flow"});
    suite_kind(k);
    const size_t n_pos = static_cast<size_t>(k.field("n_pos").integer(1, s.n_ctx));
    numbers(k.field("rollout"), n_pos, fraction);
    numbers(k.field("flow"), n_pos, fraction);
  });
}

namespace {

// Components in the attribution's order; returns how many. Layers and heads are in range.
size_t attribution_components(const Checked& components, const ReportShape& s, bool with_values, bool foil) {
  const size_t max = static_cast<size_t>(3 + s.n_layers * (s.n_heads + 2));  // embed, pos, heads, bias, mlp, norm bias
  const size_t n = components.array(1, max);
  for (size_t i = 0; i < n; ++i) {
    const Checked c = components[i];
    c.only_fields({"kind", "label", "layer", "head", "logit", "logit_diff"});
    const std::string kind = c.field("kind").one_of({"embed", "pos_embed", "head", "attn_bias", "mlp", "final_norm_bias"});
    c.field("label").string(kMaxText);
    const bool in_layer = kind == "head" || kind == "attn_bias" || kind == "mlp";
    if (in_layer) c.field("layer").integer(0, s.n_layers - 1);
    else if (c.optional_field("layer")) c.field("layer").fail("only heads, attention biases and MLPs have a layer");
    if (kind == "head") c.field("head").integer(0, s.n_heads - 1);
    else if (c.optional_field("head")) c.field("head").fail("only a head component has a head");
    if (with_values) {
      real(c.field("logit"));
      if (foil) real(c.field("logit_diff"));
    }
  }
  return n;
}

}  // namespace

void check_attribution(const Checked& result, const ReportShape& s) {
  if (prompt_mode(result)) {
    result.only_fields({"mode", "case", "attribution"});
    const int64_t n_pos = prompt_case(result.field("case"), s);
    const Checked a = result.field("attribution");
    a.only_fields({"position", "answer", "foil", "final_scale", "components", "sum_logit", "model_logit",
                   "sum_logit_diff", "model_logit_diff"});
    a.field("position").integer(0, n_pos - 1);
    token_id(a.field("answer"), s);
    const bool foil = !a.field("foil").is_null();
    if (foil) token_id(a.field("foil"), s);
    a.field("final_scale").number(0, kBig);
    attribution_components(a.field("components"), s, true, foil);
    real(a.field("sum_logit"));
    real(a.field("model_logit"));
    if (foil) {
      real(a.field("sum_logit_diff"));
      real(a.field("model_logit_diff"));
    }
    return;
  }
  result.only_fields({"mode", "position", "foil", "components", "by_kind", "answered_wrong"});
  answered_wrong_counts(result, s);
  result.field("position").string(kMaxText);
  result.field("foil").string(kMaxText);
  const size_t n = attribution_components(result.field("components"), s, false, false);
  kind_map(result.field("by_kind"), nullptr, [&](const Checked& k) {
    k.only_fields({"family", "n", "logit", "logit_diff", "model_logit", "model_logit_diff"});
    suite_kind(k);
    numbers(k.field("logit"), n, real);
    numbers(k.field("logit_diff"), n, real);
    real(k.field("model_logit"));
    real(k.field("model_logit_diff"));
  });
}

void check_head_scores(const Checked& result, const ReportShape& s) {
  result.only_fields({"period", "offset", "previous_token", "induction", "sequences"});
  const int64_t offset = result.field("offset").integer(0, 1);
  const int64_t period = result.field("period").integer(1, (s.n_ctx - offset) / 2);
  matrix(result.field("previous_token"), s.n_layers, s.n_heads, fraction);
  matrix(result.field("induction"), s.n_layers, s.n_heads, fraction);
  const Checked sequences = result.field("sequences");
  const size_t n = sequences.array(1, 4096);
  const size_t length = static_cast<size_t>(offset + 2 * period);
  for (size_t i = 0; i < n; ++i) numbers(sequences[i], length, [&](const Checked& t) { token_id(t, s); });
}

}  // namespace strata::schema
