// Interventions: each op, each selection, validation and JSON.
#include <catch2/catch.hpp>

#include "model/forward.h"
#include "tiny-model.h"

using namespace strata;
using strata::testing::flat;
using strata::testing::max_abs_diff;
using strata::testing::tiny_model;

namespace {

const std::vector<int32_t> kTokens = {4, 8, 15, 16, 2};

RunResult run_capturing_all(const Model& m, std::vector<Intervention> ivs = {}) {
  RunOptions o;
  o.capture_all = true;
  o.interventions = std::move(ivs);
  return run(m, kTokens, o);
}

Intervention make(HookKind kind, int layer, InterventionOp op) {
  Intervention iv;
  iv.hook = {kind, layer};
  iv.op = op;
  return iv;
}

}  // namespace

TEST_CASE("patching a run with its own activations changes nothing", "[intervention]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family);
    const RunResult clean = run_capturing_all(m);
    for (const HookId& h : all_hooks(m.config)) {
      Intervention iv = make(h.kind, h.layer, InterventionOp::Patch);
      iv.value = clean.cache.at(h);
      INFO(hook_name(h));
      CHECK(max_abs_diff(flat(run_capturing_all(m, {iv}).logits), flat(clean.logits)) == 0.0f);
    }
  }
}

TEST_CASE("scaling by one changes nothing; zeroing the attention output skips the block", "[intervention]") {
  const Model m = tiny_model(Family::Gpt2);
  const RunResult clean = run_capturing_all(m);
  Intervention one = make(HookKind::MlpPost, 0, InterventionOp::Scale);
  one.factor = 1.0f;
  CHECK(max_abs_diff(flat(run_capturing_all(m, {one}).logits), flat(clean.logits)) == 0.0f);

  const RunResult r = run_capturing_all(m, {make(HookKind::AttnOut, 1, InterventionOp::Zero)});
  CHECK(r.cache.at({HookKind::ResidMid, 1}).data == r.cache.at({HookKind::ResidPre, 1}).data);
  CHECK(max_abs_diff(flat(r.logits), flat(clean.logits)) > 1e-3f);
}

TEST_CASE("zeroing one head removes exactly that head's share of the attention output", "[intervention]") {
  const Model m = tiny_model(Family::Llama);
  const ModelConfig& c = m.config;
  const int layer = 1, head = 2, n = static_cast<int>(kTokens.size());
  Intervention iv = make(HookKind::Z, layer, InterventionOp::Zero);
  iv.head = head;
  const RunResult clean = run_capturing_all(m);
  const RunResult ablated = run_capturing_all(m, {iv});
  // Layer 1's input is unchanged, so attn_out differs by z_head * W_O[head rows].
  const Tensor& z = clean.cache.at({HookKind::Z, layer});
  const Mat& W_O = m.weights.layers[layer].W_O.f32();
  const auto& before = clean.cache.at({HookKind::AttnOut, layer}).data;
  const auto& after = ablated.cache.at({HookKind::AttnOut, layer}).data;
  for (int p = 0; p < n; ++p)
    for (int d = 0; d < c.d_model; ++d) {
      float share = 0;
      for (int i = 0; i < c.d_head; ++i) share += z.data[(p * c.n_heads + head) * c.d_head + i] * W_O(head * c.d_head + i, d);
      CHECK(after[p * c.d_model + d] == Approx(before[p * c.d_model + d] - share).margin(1e-5));
    }
  const Tensor& z_after = ablated.cache.at({HookKind::Z, layer});
  for (int p = 0; p < n; ++p)
    for (int h = 0; h < c.n_heads; ++h)
      for (int i = 0; i < c.d_head; ++i) {
        const size_t k = (p * c.n_heads + h) * c.d_head + i;
        CHECK(z_after.data[k] == (h == head ? 0.0f : z.data[k]));
      }
}

TEST_CASE("positions and neurons narrow the slice", "[intervention]") {
  const Model m = tiny_model(Family::Gpt2);
  const ModelConfig& c = m.config;
  Intervention iv = make(HookKind::MlpPost, 0, InterventionOp::Scale);
  iv.factor = 3.0f;
  iv.positions = {1, 3};
  iv.neurons = {0, 5, 31};
  const RunResult clean = run_capturing_all(m);
  const RunResult r = run_capturing_all(m, {iv});
  const auto& a = clean.cache.at({HookKind::MlpPost, 0}).data;
  const auto& b = r.cache.at({HookKind::MlpPost, 0}).data;
  for (int p = 0; p < 5; ++p)
    for (int i = 0; i < c.d_mlp; ++i) {
      const bool selected = (p == 1 || p == 3) && (i == 0 || i == 5 || i == 31);
      CHECK(b[p * c.d_mlp + i] == (selected ? 3.0f * a[p * c.d_mlp + i] : a[p * c.d_mlp + i]));
    }
  // Positions before the first selected one are untouched downstream too (causal).
  const auto& out0 = clean.cache.at({HookKind::ResidPost, 1}).data;
  const auto& out1 = r.cache.at({HookKind::ResidPost, 1}).data;
  for (int d = 0; d < c.d_model; ++d) CHECK(out1[d] == out0[d]);
}

TEST_CASE("mean ablation broadcasts a value without the position axis", "[intervention]") {
  const Model m = tiny_model(Family::Gpt2);
  Intervention iv = make(HookKind::Pattern, 0, InterventionOp::Mean);
  iv.head = 1;
  iv.positions = {4};
  iv.value.shape = {4, 5};  // [n_heads, key]: one row for every query position
  for (int i = 0; i < 20; ++i) iv.value.data.push_back(0.05f * i);
  const RunResult r = run_capturing_all(m, {iv});
  const Tensor& p = r.cache.at({HookKind::Pattern, 0});
  for (int k = 0; k < 5; ++k) CHECK(p.data[(1 * 5 + 4) * 5 + k] == Approx(0.05f * (5 + k)));
}

TEST_CASE("invalid interventions are refused, naming the field", "[intervention]") {
  const Model m = tiny_model(Family::Gpt2);
  auto refuse = [&](Intervention iv, const std::string& message) {
    RunOptions o;
    o.interventions = {std::move(iv)};
    CHECK_THROWS_WITH(run(m, kTokens, o), Catch::Contains(message));
  };
  Intervention head = make(HookKind::Z, 0, InterventionOp::Zero);
  head.head = 4;
  refuse(head, "blocks.0.attn.hook_z: head: expected indices in [0, 4), found 4");
  Intervention no_head = make(HookKind::MlpOut, 0, InterventionOp::Zero);
  no_head.head = 0;
  refuse(no_head, "head: this hook has no head axis");
  Intervention pos = make(HookKind::ResidPre, 1, InterventionOp::Zero);
  pos.positions = {5};
  refuse(pos, "positions: expected indices in [0, 5), found 5");
  Intervention neurons = make(HookKind::Pattern, 1, InterventionOp::Zero);
  neurons.neurons = {0};
  refuse(neurons, "neurons: this hook has no neuron axis");
  Intervention patch = make(HookKind::ResidPre, 0, InterventionOp::Patch);
  patch.value.shape = {4, 16};
  patch.value.data.assign(64, 0.0f);
  refuse(patch, "value shape: expected [5, 16], found [4, 16]");
  Intervention rot = make(HookKind::RotQ, 0, InterventionOp::Zero);
  refuse(rot, "does not exist in a gpt2 model");
}

TEST_CASE("interventions read from and write to JSON", "[intervention]") {
  const ModelConfig c = testing::tiny_config(Family::Gpt2);
  const auto list = nlohmann::json::parse(R"([
    {"hook": "blocks.1.attn.hook_z", "op": "zero", "head": 2, "positions": [0, 3]},
    {"hook": "blocks.0.mlp.hook_post", "op": "scale", "factor": 0.5, "neurons": [7]},
    {"hook": "hook_embed", "op": "mean", "value": {"shape": [16], "data": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}}
  ])");
  const std::vector<Intervention> ivs = interventions_from_json(list, c, "ivs.json");
  REQUIRE(ivs.size() == 3);
  CHECK(ivs[0].hook == HookId{HookKind::Z, 1});
  CHECK(*ivs[0].head == 2);
  CHECK(ivs[0].positions == std::vector<int>{0, 3});
  CHECK(ivs[1].factor == 0.5f);
  CHECK(ivs[2].value.shape == std::vector<int64_t>{16});
  nlohmann::json back = nlohmann::json::array();
  for (const Intervention& iv : ivs) back.push_back(intervention_to_json(iv));
  CHECK(back == list);

  auto refuse = [&](const char* text, const std::string& message) {
    CHECK_THROWS_WITH(interventions_from_json(nlohmann::json::parse(text), c, "ivs.json"), Catch::Contains(message));
  };
  refuse(R"({"hook": "hook_embed"})", "ivs.json: expected an array of interventions");
  refuse(R"([{"hook": "blocks.7.hook_resid_pre", "op": "zero"}])", "ivs.json: [0]: hook: \"blocks.7.hook_resid_pre\" is not a hook");
  refuse(R"([{"hook": "hook_embed", "op": "delete"}])", "op: expected zero, mean, patch or scale, found \"delete\"");
  refuse(R"([{"hook": "hook_embed", "op": "zero", "colour": 1}])", "unknown field \"colour\"");
  refuse(R"([{"hook": "hook_embed", "op": "scale"}])", "factor: expected a number");
  refuse(R"([{"hook": "hook_embed", "op": "patch"}])", "value: required for op patch");
  refuse(R"([{"hook": "hook_embed", "op": "zero", "positions": [1.5]}])", "positions: expected integers");
  refuse(R"([{"hook": "hook_embed", "op": "mean", "value": {"shape": [2, 2], "data": [1, 2, 3]}}])", "data: expected 4 numbers, found 3");
}

TEST_CASE("interventions on the attention scores leave the causal mask alone", "[intervention][non-finite]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family);
    const RunResult clean = run_capturing_all(m);
    const HookId scores{HookKind::AttnScores, 0};
    for (float factor : {0.0f, -1.0f, 2.0f}) {
      Intervention iv = make(scores.kind, 0, InterventionOp::Scale);
      iv.factor = factor;
      const RunResult r = run_capturing_all(m, {iv});
      INFO("factor " << factor);
      CHECK(r.logits.allFinite());
      // Factor 0 gives uniform attention over the query's own past, not over every key.
      const Tensor& pattern = r.cache.at({HookKind::Pattern, 0});
      const int64_t n = static_cast<int64_t>(kTokens.size());
      for (int64_t q = 0; q < n; ++q)
        for (int64_t k = 0; k < n; ++k) {
          const float p = pattern.data[static_cast<size_t>(q * n + k)];  // head 0
          if (k > q) CHECK(p == 0.0f);
          else if (factor == 0.0f) CHECK(p == Approx(1.0 / (q + 1)));
        }
    }
    // Zeroing the scores must not unmask the future either.
    const RunResult zeroed = run_capturing_all(m, {make(scores.kind, 0, InterventionOp::Zero)});
    CHECK(zeroed.cache.at(scores).data[1] == -INFINITY);  // head 0, query 0, key 1
    CHECK(clean.cache.at(scores).data[1] == -INFINITY);
  }
}

TEST_CASE("non-finite logits after interventions are an error naming the intervention", "[intervention][non-finite]") {
  const Model m = tiny_model(Family::Gpt2);
  Intervention harmless = make(HookKind::MlpOut, 1, InterventionOp::Zero);
  Intervention poison = make(HookKind::ResidPre, 1, InterventionOp::Patch);
  poison.value = run_capturing_all(m).cache.at({HookKind::ResidPre, 1});
  poison.value.data[7] = -INFINITY;  // what a null in a patch value reads as
  CHECK_THROWS_WITH(run_capturing_all(m, {harmless, poison}),
                    Catch::StartsWith("non-finite logits (NaN at position 0, token 0) caused by intervention [1] "
                                      "(patch on blocks.1.hook_resid_pre)"));
  Intervention huge = make(HookKind::AttnOut, 0, InterventionOp::Scale);
  huge.factor = 3e38f;
  CHECK_THROWS_WITH(run_capturing_all(m, {harmless, harmless, huge}),
                    Catch::Contains("caused by intervention [2] (scale on blocks.0.hook_attn_out by 3e+38)"));
}

TEST_CASE("factors and values outside float range are refused when read", "[intervention][non-finite]") {
  const ModelConfig c = tiny_model(Family::Gpt2).config;
  using nlohmann::json;
  CHECK_THROWS_WITH(interventions_from_json(json::parse(R"([{"hook": "hook_embed", "op": "scale", "factor": 1e300}])"), c, "iv"),
                    "iv: [0]: factor: expected a number within float range, found 1e+300");
  CHECK_THROWS_WITH(interventions_from_json(json::parse(R"([{"hook": "hook_embed", "op": "patch", "value": {"shape": [2], "data": [1, -1e39]}}])"), c, "iv"),
                    "iv: [0]: value: data: expected numbers within float range, found -1e+39");
}
