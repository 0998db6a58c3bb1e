// The forward pass of GPT-2 and LLaMA-family models, with hook points.
//
// It reads like the math: embed, then per block
//   resid_mid  = resid_pre + Attn(Norm1(resid_pre))
//   resid_post = resid_mid + MLP(Norm2(resid_mid))
// then logits = Norm_final(resid) * W_U^T. Every named intermediate passes
// through HookVisitor::visit, which applies interventions and captures.
#include "model/forward.h"

#include <cmath>
#include <limits>
#include <cstdio>

#include "base/error.h"
#include "tensor/attention.h"
#include "tensor/matmul.h"
#include "tensor/ops.h"

namespace strata {

constexpr int64_t kMaxPromptTokens = 2048;

int64_t max_prompt_tokens(const ModelConfig& config) { return std::min<int64_t>(kMaxPromptTokens, config.n_ctx); }

const Tensor* ActivationCache::find(HookId id) const {
  auto it = tensors.find(hook_name(id));
  return it == tensors.end() ? nullptr : &it->second;
}

const Tensor& ActivationCache::at(HookId id) const {
  const Tensor* t = find(id);
  if (!t) throw Error("activation cache: " + hook_name(id) + " was not captured");
  return *t;
}

namespace {

// Decides, per hook, whether anyone listens; applies interventions in order,
// then captures (so the cache holds what the model actually used).
class HookVisitor {
 public:
  HookVisitor(const ModelConfig& config, const RunOptions& options, int64_t n_pos, ActivationCache* cache)
      : config_(config), n_pos_(n_pos), cache_(cache) {
    const int n = hook_count(config);
    capture_.assign(n, options.capture_all ? 1 : 0);
    interventions_.resize(n);
    for (const HookId& h : options.capture) capture_[hook_index(h, config)] = 1;
    for (const Intervention& iv : options.interventions) interventions_[hook_index(iv.hook, config)].push_back(&iv);
  }

  void visit(HookKind kind, int layer, float* data) {
    const HookId id{kind, layer};
    const int i = hook_index(id, config_);
    if (!capture_[i] && interventions_[i].empty()) return;
    std::vector<int64_t> shape = hook_tensor_shape(kind, config_, n_pos_);
    for (const Intervention* iv : interventions_[i]) apply_intervention(*iv, data, shape);
    if (capture_[i]) {
      Tensor t{std::move(shape), {}};
      t.data.assign(data, data + t.numel());
      cache_->tensors[hook_name(id)] = std::move(t);
    }
  }
  void visit(HookKind kind, int layer, Mat& m) { visit(kind, layer, m.data()); }

  // Whether a capture or an intervention needs this hook's activation.
  bool listens(HookKind kind, int layer) const {
    const int i = hook_index({kind, layer}, config_);
    return capture_[i] || !interventions_[i].empty();
  }
  bool intervenes(HookKind kind, int layer) const { return !interventions_[hook_index({kind, layer}, config_)].empty(); }

 private:
  const ModelConfig& config_;
  int64_t n_pos_;
  ActivationCache* cache_;
  std::vector<uint8_t> capture_;                             // by hook_index
  std::vector<std::vector<const Intervention*>> interventions_;  // by hook_index
};

void add_bias(Mat& x, const RowVec& b) {
  if (b.size()) x.rowwise() += b;
}

void norm(const ModelConfig& c, const Mat& x, const RowVec& w, const RowVec& b, Mat& out) {
  if (c.family == Family::Gpt2) layer_norm(x, w, b, c.norm_eps, out);
  else rms_norm(x, w, c.norm_eps, out);
}

Mat embed(const Model& model, const std::vector<int32_t>& tokens, HookVisitor& hooks) {
  const ModelWeights& w = model.weights;
  const int64_t n = static_cast<int64_t>(tokens.size());
  Mat resid(n, model.config.d_model);
  for (int64_t p = 0; p < n; ++p) resid.row(p) = w.W_E.row(tokens[p]);
  hooks.visit(HookKind::Embed, -1, resid);
  if (model.config.family == Family::Gpt2) {
    Mat pos = w.W_pos.row_block(0, n);
    hooks.visit(HookKind::PosEmbed, -1, pos);
    resid += pos;
  }
  return resid;
}

// The heads' outputs z. The fused kernel computes them unless a hook must see
// the scores or change the pattern; the three steps then run apart, and the
// hooks visit what lies between them:
//   scores: (n_heads * n, n), head h in rows [h*n, (h+1)*n) = [head, query, key];
//   q k^T / sqrt(d_head), -inf above the diagonal; the pattern is their softmax.
// Both ways give the same z and pattern bit for bit.
Mat attend(const ModelConfig& c, int layer, const Mat& q, const Mat& k, const Mat& v, HookVisitor& hooks) {
  Mat z;
  if (!hooks.listens(HookKind::AttnScores, layer) && !hooks.intervenes(HookKind::Pattern, layer)) {
    const bool capture_pattern = hooks.listens(HookKind::Pattern, layer);
    Mat pattern;
    causal_attention(q, k, v, c.n_heads, c.n_kv_heads, c.d_head, z, capture_pattern ? &pattern : nullptr);
    if (capture_pattern) hooks.visit(HookKind::Pattern, layer, pattern);  // only captures: z stands
    return z;
  }
  Mat scores;
  causal_attention_scores(q, k, c.n_heads, c.n_kv_heads, c.d_head, scores);
  hooks.visit(HookKind::AttnScores, layer, scores);
  causal_softmax_inplace(scores);
  Mat& pattern = scores;
  hooks.visit(HookKind::Pattern, layer, pattern);
  causal_attention_mix(pattern, v, c.n_heads, c.n_kv_heads, c.d_head, z);
  return z;
}

void attention(const ModelConfig& c, const LayerWeights& L, int layer, Mat& resid, HookVisitor& hooks) {
  const int dh = c.d_head;
  Mat x, q, k, v;
  norm(c, resid, L.ln1_w, L.ln1_b, x);
  hooks.visit(HookKind::Ln1Normalized, layer, x);
  matmul(x, L.W_Q, q);  // (n, n_heads * d_head)
  matmul(x, L.W_K, k);  // (n, n_kv_heads * d_head)
  matmul(x, L.W_V, v);
  add_bias(q, L.b_Q);
  add_bias(k, L.b_K);
  add_bias(v, L.b_V);
  hooks.visit(HookKind::Q, layer, q);
  hooks.visit(HookKind::K, layer, k);
  hooks.visit(HookKind::V, layer, v);
  if (c.family == Family::Llama) {
    apply_rope_inplace(q, c.n_heads, dh, c.rope_theta);
    apply_rope_inplace(k, c.n_kv_heads, dh, c.rope_theta);
    hooks.visit(HookKind::RotQ, layer, q);
    hooks.visit(HookKind::RotK, layer, k);
  }

  Mat z = attend(c, layer, q, k, v, hooks);  // (n, n_heads * d_head)
  hooks.visit(HookKind::Z, layer, z);

  Mat attn_out;
  matmul(z, L.W_O, attn_out);
  add_bias(attn_out, L.b_O);
  hooks.visit(HookKind::AttnOut, layer, attn_out);
  resid += attn_out;
  hooks.visit(HookKind::ResidMid, layer, resid);
}

void mlp(const ModelConfig& c, const LayerWeights& L, int layer, Mat& resid, HookVisitor& hooks) {
  Mat x, pre, out;
  norm(c, resid, L.ln2_w, L.ln2_b, x);
  hooks.visit(HookKind::Ln2Normalized, layer, x);
  matmul(x, L.W_in, pre);  // (n, d_mlp)
  add_bias(pre, L.b_in);
  hooks.visit(HookKind::MlpPre, layer, pre);
  Mat post = pre;
  if (c.family == Family::Gpt2) {
    gelu_new_inplace(post);
  } else {
    Mat linear;
    matmul(x, L.W_gate_linear, linear);
    add_bias(linear, L.b_gate_linear);
    hooks.visit(HookKind::MlpPreLinear, layer, linear);
    silu_inplace(post);
    post.array() *= linear.array();
  }
  hooks.visit(HookKind::MlpPost, layer, post);
  matmul(post, L.W_out, out);
  add_bias(out, L.b_out);
  hooks.visit(HookKind::MlpOut, layer, out);
  resid += out;
  hooks.visit(HookKind::ResidPost, layer, resid);
}

void check_inputs(const Model& model, const std::vector<int32_t>& tokens, const RunOptions& options) {
  const ModelConfig& c = model.config;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) throw Error("run: the prompt has no tokens");
  const int64_t max_tokens = max_prompt_tokens(c);
  if (n > max_tokens)
    fail_expected("run: prompt length", "at most " + std::to_string(max_tokens) + " tokens", std::to_string(n));
  for (int64_t p = 0; p < n; ++p)
    if (tokens[p] < 0 || tokens[p] >= c.d_vocab)
      fail_expected("run: token " + std::to_string(p), "an id in [0, " + std::to_string(c.d_vocab) + ")",
                    std::to_string(tokens[p]));
  for (const Intervention& iv : options.interventions) validate_intervention(iv, c, n);
  for (const HookId& h : options.capture)
    if (!hook_exists(h.kind, c.family) || (hook_in_block(h.kind) && (h.layer < 0 || h.layer >= c.n_layers)))
      throw Error("run: capture: " + hook_name(h) + " is not a hook of this model");
  if (options.start_layer < 0 || options.start_layer > c.n_layers)
    fail_expected("run: start_layer", "[0, " + std::to_string(c.n_layers) + "]", std::to_string(options.start_layer));
  if (options.start_layer > 0) {
    if (!options.resid_pre) throw Error("run: start_layer > 0 needs the residual stream to start from");
    if (options.resid_pre->rows() != n || options.resid_pre->cols() != c.d_model)
      fail_expected("run: resid_pre shape", shape_to_string({n, c.d_model}),
                    shape_to_string({options.resid_pre->rows(), options.resid_pre->cols()}));
  }
}

RunResult forward(const Model& model, const std::vector<int32_t>& tokens, const RunOptions& options) {
  const ModelConfig& c = model.config;
  const ModelWeights& w = model.weights;
  RunResult result;
  HookVisitor hooks(c, options, static_cast<int64_t>(tokens.size()), &result.cache);

  Mat resid = options.start_layer > 0 ? *options.resid_pre : embed(model, tokens, hooks);
  for (int l = options.start_layer; l < c.n_layers; ++l) {
    hooks.visit(HookKind::ResidPre, l, resid);
    attention(c, w.layers[l], l, resid, hooks);
    mlp(c, w.layers[l], l, resid, hooks);
  }
  Mat final_normed;
  norm(c, resid, w.ln_f_w, w.ln_f_b, final_normed);
  hooks.visit(HookKind::LnFinalNormalized, -1, final_normed);
  if (options.last_logits_only) {
    const Mat last = final_normed.bottomRows(1);
    matmul_transposed(last, w.unembedding(), result.logits);  // (1, d_vocab)
  } else {
    matmul_transposed(final_normed, w.unembedding(), result.logits);  // (n, d_vocab)
  }
  return result;
}

// "NaN at position 2, token 5", or empty when every logit is finite.
std::string first_non_finite(const Mat& logits) {
  for (Eigen::Index p = 0; p < logits.rows(); ++p)
    for (Eigen::Index t = 0; t < logits.cols(); ++t) {
      const float x = logits(p, t);
      if (std::isfinite(x)) continue;
      return std::string(std::isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf") + " at position " + std::to_string(p) +
             ", token " + std::to_string(t);
    }
  return "";
}

std::string describe(const Intervention& iv) {
  std::string s = std::string(intervention_op_name(iv.op)) + " on " + hook_name(iv.hook);
  if (iv.head) s += " head " + std::to_string(*iv.head);
  if (iv.op == InterventionOp::Scale) {
    char factor[32];
    std::snprintf(factor, sizeof factor, "%g", static_cast<double>(iv.factor));
    s += std::string(" by ") + factor;
  }
  return s;
}

// Weights are finite (checked at load), so non-finite logits come from an
// intervention or from float overflow. The culprit is the first intervention
// whose prefix of the list already gives non-finite logits (found by bisection;
// this only runs on the error path).
[[noreturn]] void fail_non_finite(const Model& model, const std::vector<int32_t>& tokens, const RunOptions& options,
                                  const std::string& where) {
  const std::vector<Intervention>& all = options.interventions;
  const auto bad_prefix = [&](size_t k) {
    RunOptions prefix;
    prefix.start_layer = options.start_layer;
    prefix.resid_pre = options.resid_pre;
    prefix.interventions.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
    return !first_non_finite(forward(model, tokens, prefix).logits).empty();
  };
  if (all.empty() || bad_prefix(0))
    throw Error("non-finite logits (" + where + ") without any intervention: the forward pass overflows float");
  size_t lo = 1, hi = all.size();  // bad_prefix(hi) holds, bad_prefix(0) does not
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (bad_prefix(mid)) hi = mid;
    else lo = mid + 1;
  }
  throw Error("non-finite logits (" + where + ") caused by intervention [" + std::to_string(lo - 1) + "] (" +
              describe(all[lo - 1]) + ")");
}

}  // namespace

RunResult run(const Model& model, const std::vector<int32_t>& tokens, const RunOptions& options) {
  check_inputs(model, tokens, options);
  RunResult result = forward(model, tokens, options);
  const std::string where = first_non_finite(result.logits);
  if (!where.empty()) fail_non_finite(model, tokens, options, where);
  return result;
}

}  // namespace strata
