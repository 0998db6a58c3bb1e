// Hook names, the hook table, and what the forward pass captures.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "model/forward.h"
#include "tiny-model.h"

using namespace strata;
using strata::testing::flat;
using strata::testing::max_abs_diff;
using strata::testing::tiny_model;

TEST_CASE("hook names round-trip and index densely", "[hooks]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const ModelConfig c = testing::tiny_config(family);
    std::set<int> indices;
    std::set<std::string> names;
    for (const HookId& h : all_hooks(c)) {
      const std::string name = hook_name(h);
      const auto parsed = parse_hook_name(name, c);
      INFO(name);
      REQUIRE(parsed.has_value());
      CHECK(*parsed == h);
      indices.insert(hook_index(h, c));
      names.insert(name);
    }
    CHECK(names.size() == all_hooks(c).size());
    CHECK(indices.size() == all_hooks(c).size());
    CHECK(*indices.rbegin() < hook_count(c));
  }
}

TEST_CASE("hook names use TransformerLens spelling", "[hooks]") {
  const ModelConfig c = testing::tiny_config(Family::Gpt2);
  CHECK(hook_name({HookKind::Pattern, 1}) == "blocks.1.attn.hook_pattern");
  CHECK(hook_name({HookKind::ResidPre, 0}) == "blocks.0.hook_resid_pre");
  CHECK(hook_name({HookKind::MlpPost, 1}) == "blocks.1.mlp.hook_post");
  CHECK(hook_name({HookKind::LnFinalNormalized, -1}) == "ln_final.hook_normalized");
  CHECK(parse_hook_name("hook_embed", c)->kind == HookKind::Embed);
}

TEST_CASE("parse_hook_name refuses what is not a hook of the model", "[hooks]") {
  const ModelConfig gpt2 = testing::tiny_config(Family::Gpt2);
  const ModelConfig llama = testing::tiny_config(Family::Llama);
  for (const char* bad : {"blocks.2.hook_resid_pre", "blocks.01.hook_resid_pre", "blocks.-1.hook_resid_pre",
                          "blocks..hook_resid_pre", "blocks.0.hook_nothing", "hook_resid_pre", "blocks.0.hook_embed",
                          "blocks.0.attn.hook_rot_q", "", "blocks.99999999.hook_resid_pre"})
    CHECK_FALSE(parse_hook_name(bad, gpt2).has_value());
  CHECK_FALSE(parse_hook_name("hook_pos_embed", llama).has_value());
  CHECK(parse_hook_name("blocks.1.attn.hook_rot_k", llama).has_value());
  CHECK(parse_hook_name("blocks.1.mlp.hook_pre_linear", llama).has_value());
}

TEST_CASE("capture_all returns every hook with its shape", "[forward]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family);
    RunOptions o;
    o.capture_all = true;
    const RunResult r = run(m, {1, 5, 7, 2, 9}, o);
    CHECK(r.cache.tensors.size() == all_hooks(m.config).size());
    for (const HookId& h : all_hooks(m.config)) {
      INFO(hook_name(h));
      const Tensor& t = r.cache.at(h);
      CHECK(t.shape == hook_tensor_shape(h.kind, m.config, 5));
      CHECK(static_cast<int64_t>(t.data.size()) == t.numel());
    }
    CHECK(r.logits.rows() == 5);
    CHECK(r.logits.cols() == m.config.d_vocab);
  }
}

TEST_CASE("last_logits_only unembeds the last position alone, as the full run does", "[forward]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family);
    RunOptions o;
    o.capture = {{HookKind::LnFinalNormalized, -1}};
    const RunResult full = run(m, {1, 5, 7, 2, 9}, o);
    o.last_logits_only = true;
    const RunResult last = run(m, {1, 5, 7, 2, 9}, o);
    REQUIRE(last.logits.rows() == 1);
    CHECK(last.logits.cols() == m.config.d_vocab);
    CHECK((last.logits.row(0) - full.logits.row(4)).cwiseAbs().maxCoeff() <= 1e-5f);
    CHECK(last.cache.at({HookKind::LnFinalNormalized, -1}).shape[0] == 5);  // hooks still see every position
  }
}

TEST_CASE("only the hooks asked for are captured", "[forward]") {
  const Model m = tiny_model(Family::Llama);
  RunOptions o;
  o.capture = {{HookKind::Pattern, 1}};
  const RunResult r = run(m, {1, 2, 3}, o);
  REQUIRE(r.cache.tensors.size() == 1);
  CHECK(r.cache.find({HookKind::Pattern, 1}) != nullptr);
  CHECK_THROWS_WITH(r.cache.at({HookKind::Pattern, 0}), Catch::Contains("blocks.0.attn.hook_pattern was not captured"));
}

TEST_CASE("the cached activations are consistent with each other", "[forward]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family);
    RunOptions o;
    o.capture_all = true;
    const int n = 6;
    const RunResult r = run(m, {3, 1, 4, 1, 5, 9}, o);
    for (int l = 0; l < m.config.n_layers; ++l) {
      const auto& pre = r.cache.at({HookKind::ResidPre, l}).data;
      const auto& attn = r.cache.at({HookKind::AttnOut, l}).data;
      const auto& mid = r.cache.at({HookKind::ResidMid, l}).data;
      const auto& mlp = r.cache.at({HookKind::MlpOut, l}).data;
      const auto& post = r.cache.at({HookKind::ResidPost, l}).data;
      for (size_t i = 0; i < pre.size(); ++i) {
        CHECK(mid[i] == Approx(pre[i] + attn[i]).margin(1e-5));
        CHECK(post[i] == Approx(mid[i] + mlp[i]).margin(1e-5));
      }
      const Tensor& pattern = r.cache.at({HookKind::Pattern, l});
      for (int h = 0; h < m.config.n_heads; ++h)
        for (int q = 0; q < n; ++q) {
          float sum = 0;
          for (int k = 0; k < n; ++k) {
            const float p = pattern.data[(h * n + q) * n + k];
            if (k > q) CHECK(p == 0.0f);  // causal
            sum += p;
          }
          CHECK(sum == Approx(1.0f).margin(1e-5));
        }
    }
  }
}

TEST_CASE("queries and keys of zero give uniform causal attention", "[forward]") {
  Model m = tiny_model(Family::Gpt2);
  for (LayerWeights& L : m.weights.layers) {
    L.W_Q.f32().setZero();
    L.W_K.f32().setZero();
    L.b_Q.setZero();
    L.b_K.setZero();
  }
  RunOptions o;
  o.capture = {{HookKind::Pattern, 0}};
  const int n = 4;
  const RunResult r = run(m, {1, 2, 3, 4}, o);
  const Tensor& p = r.cache.at({HookKind::Pattern, 0});
  for (int h = 0; h < m.config.n_heads; ++h)
    for (int q = 0; q < n; ++q)
      for (int k = 0; k <= q; ++k) CHECK(p.data[(h * n + q) * n + k] == Approx(1.0f / (q + 1)).margin(1e-6));
}

TEST_CASE("resuming from a cached residual stream gives the same logits", "[forward]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family);
    RunOptions o;
    o.capture = {{HookKind::ResidPre, 1}};
    const std::vector<int32_t> tokens = {2, 7, 1, 8};
    const RunResult full = run(m, tokens, o);
    const Tensor& resid = full.cache.at({HookKind::ResidPre, 1});
    const Mat resid_mat = Eigen::Map<const Mat>(resid.data.data(), 4, m.config.d_model);
    RunOptions resume;
    resume.start_layer = 1;
    resume.resid_pre = &resid_mat;
    CHECK(max_abs_diff(flat(run(m, tokens, resume).logits), flat(full.logits)) == 0.0f);
  }
}

namespace {

// The tiny model with room for n_ctx tokens, so that prompts span more than
// one block of attention's queries.
Model with_context(Model m, int n_ctx) {
  m.config.n_ctx = n_ctx;
  if (m.config.family == Family::Gpt2) {
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    m.weights.W_pos = Mat(Mat::NullaryExpr(n_ctx, m.config.d_model, [&] { return normal(rng); }));
  }
  return m;
}

}  // namespace

TEST_CASE("captures change neither the logits nor the pattern, bit for bit", "[forward]") {
  // Attention runs fused unless a hook needs the scores or changes the
  // pattern; capturing the pattern alone takes it from the fused kernel.
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = with_context(tiny_model(family), 40);
    for (int n : {1, 5, 12, 37, 40}) {
      INFO((family == Family::Gpt2 ? "gpt2, " : "llama, ") << n << " tokens");
      std::vector<int32_t> tokens(n);
      for (int p = 0; p < n; ++p) tokens[p] = (7 * p + 3) % m.config.d_vocab;
      RunOptions every, patterns;
      every.capture_all = true;
      for (int l = 0; l < m.config.n_layers; ++l) patterns.capture.push_back({HookKind::Pattern, l});
      const RunResult plain = run(m, tokens), all = run(m, tokens, every), some = run(m, tokens, patterns);
      CHECK(flat(all.logits) == flat(plain.logits));
      CHECK(flat(some.logits) == flat(plain.logits));
      for (int l = 0; l < m.config.n_layers; ++l)
        CHECK(some.cache.at({HookKind::Pattern, l}).data == all.cache.at({HookKind::Pattern, l}).data);
    }
  }
}

TEST_CASE("bad run inputs are refused with a message", "[forward]") {
  const Model m = tiny_model(Family::Gpt2);
  CHECK_THROWS_WITH(run(m, {}), Catch::Contains("no tokens"));
  CHECK_THROWS_WITH(run(m, {1, 20}), Catch::Contains("token 1: expected an id in [0, 20), found 20"));
  CHECK_THROWS_WITH(run(m, {-1}), Catch::Contains("found -1"));
  CHECK_THROWS_WITH(run(m, std::vector<int32_t>(17, 1)), Catch::Contains("at most 16 tokens"));
  RunOptions o;
  o.start_layer = 1;
  CHECK_THROWS_WITH(run(m, {1}, o), Catch::Contains("start_layer > 0 needs"));
}
