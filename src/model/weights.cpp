// Loading weights by Hugging Face tensor name, with every shape checked.
#include "model/weights.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "base/error.h"

namespace strata {
namespace {

const char* non_finite_name(float x) { return std::isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf"; }

// Takes tensors out of the file by name, checking shapes and remembering
// which names were used so that the rest can be reported.
class TensorSource {
 public:
  explicit TensorSource(const SafetensorsFile& file) : file_(file) {}

  // A matrix in the file's precision: F32 as f32, F16 and BF16 kept 16 bits wide.
  WeightMatrix matrix(const std::string& name, int64_t rows, int64_t cols) {
    const TensorInfo& info = checked(name, {rows, cols});
    if (info.dtype != DType::F16 && info.dtype != DType::BF16) return matrix_of(read_f32(name), rows, cols);
    std::vector<uint16_t> bits = file_.read_16bit(name);
    const Precision precision = info.dtype == DType::F16 ? Precision::F16 : Precision::BF16;
    for (size_t i = 0; i < bits.size(); ++i) {
      const float value = precision == Precision::F16 ? f16_to_f32(bits[i]) : bf16_to_f32(bits[i]);
      if (!std::isfinite(value)) fail_non_finite(name, value, i);
    }
    return WeightMatrix(precision, rows, cols, std::move(bits));
  }
  // An nn.Linear weight [out, in], returned as [in, out].
  WeightMatrix linear(const std::string& name, int64_t out, int64_t in) { return matrix(name, out, in).transposed(); }
  RowVec vector(const std::string& name, int64_t n) {
    checked(name, {n});
    Tensor t = read_f32(name);
    return Eigen::Map<const RowVec>(t.data.data(), n);
  }

  LoadReport report(const std::set<std::string>& ignorable_suffixes) const {
    LoadReport r;
    for (const TensorInfo& info : file_.tensors()) {
      if (used_.count(info.name)) continue;
      bool ignorable = false;
      for (const std::string& suffix : ignorable_suffixes)
        if (info.name.size() >= suffix.size() && info.name.compare(info.name.size() - suffix.size(), suffix.size(), suffix) == 0)
          ignorable = true;
      (ignorable ? r.ignored_tensors : r.unknown_tensors).push_back(info.name);
    }
    return r;
  }

 private:
  // The tensor's entry, once its presence and shape are checked; marks it used.
  const TensorInfo& checked(const std::string& name, const std::vector<int64_t>& shape) {
    const TensorInfo* info = file_.find(name);
    if (!info) throw Error(file_.label() + ": missing tensor \"" + name + "\" (expected shape " + shape_to_string(shape) + ")");
    if (info->shape != shape)
      fail_expected(file_.label() + ": tensor \"" + name + "\": shape", shape_to_string(shape), shape_to_string(info->shape));
    used_.insert(name);
    return *info;
  }

  // The file format allows NaN and Inf; a model computing with one gives NaN everywhere downstream.
  Tensor read_f32(const std::string& name) {
    Tensor t = file_.read_f32(name);
    for (size_t i = 0; i < t.data.size(); ++i)
      if (!std::isfinite(t.data[i])) fail_non_finite(name, t.data[i], i);
    return t;
  }

  [[noreturn]] void fail_non_finite(const std::string& name, float value, size_t index) const {
    throw Error(file_.label() + ": tensor \"" + name + "\": non-finite value " + non_finite_name(value) +
                " at flat index " + std::to_string(index));
  }

  const SafetensorsFile& file_;
  std::set<std::string> used_;
};

ModelWeights load_gpt2(const SafetensorsFile& file, const ModelConfig& c, LoadReport* report) {
  // Checkpoints saved from GPT2LMHeadModel carry a "transformer." prefix; GPT2Model's do not.
  const std::string t = file.find("transformer.wte.weight") ? "transformer." : "";
  TensorSource src(file);
  const int64_t d = c.d_model;
  ModelWeights w;
  w.W_E = src.matrix(t + "wte.weight", c.d_vocab, d);
  w.W_pos = src.matrix(t + "wpe.weight", c.n_ctx, d);
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = t + "h." + std::to_string(l) + ".";
    LayerWeights L;
    L.ln1_w = src.vector(p + "ln_1.weight", d);
    L.ln1_b = src.vector(p + "ln_1.bias", d);
    const WeightMatrix qkv = src.matrix(p + "attn.c_attn.weight", d, 3 * d);  // Conv1D: [in, out]
    const RowVec qkv_b = src.vector(p + "attn.c_attn.bias", 3 * d);
    L.W_Q = qkv.column_block(0, d);
    L.W_K = qkv.column_block(d, d);
    L.W_V = qkv.column_block(2 * d, d);
    L.b_Q = qkv_b.segment(0, d);
    L.b_K = qkv_b.segment(d, d);
    L.b_V = qkv_b.segment(2 * d, d);
    L.W_O = src.matrix(p + "attn.c_proj.weight", d, d);
    L.b_O = src.vector(p + "attn.c_proj.bias", d);
    L.ln2_w = src.vector(p + "ln_2.weight", d);
    L.ln2_b = src.vector(p + "ln_2.bias", d);
    L.W_in = src.matrix(p + "mlp.c_fc.weight", d, c.d_mlp);
    L.b_in = src.vector(p + "mlp.c_fc.bias", c.d_mlp);
    L.W_out = src.matrix(p + "mlp.c_proj.weight", c.d_mlp, d);
    L.b_out = src.vector(p + "mlp.c_proj.bias", d);
    w.layers.push_back(std::move(L));
  }
  w.ln_f_w = src.vector(t + "ln_f.weight", d);
  w.ln_f_b = src.vector(t + "ln_f.bias", d);
  if (!c.tied_embeddings) w.W_U = src.matrix("lm_head.weight", c.d_vocab, d);
  // attn.bias / attn.masked_bias are the causal-mask buffers old GPT-2 files carry;
  // a tied lm_head.weight is a copy of wte.
  std::set<std::string> ignorable = {".attn.bias", ".attn.masked_bias"};
  if (c.tied_embeddings) ignorable.insert("lm_head.weight");
  *report = src.report(ignorable);
  return w;
}

ModelWeights load_llama(const SafetensorsFile& file, const ModelConfig& c, LoadReport* report) {
  TensorSource src(file);
  const int64_t d = c.d_model, q_dim = int64_t{c.n_heads} * c.d_head, kv_dim = int64_t{c.n_kv_heads} * c.d_head;
  ModelWeights w;
  w.W_E = src.matrix("model.embed_tokens.weight", c.d_vocab, d);
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights L;
    L.ln1_w = src.vector(p + "input_layernorm.weight", d);
    L.W_Q = src.linear(p + "self_attn.q_proj.weight", q_dim, d);
    L.W_K = src.linear(p + "self_attn.k_proj.weight", kv_dim, d);
    L.W_V = src.linear(p + "self_attn.v_proj.weight", kv_dim, d);
    if (c.attn_qkv_bias) {
      L.b_Q = src.vector(p + "self_attn.q_proj.bias", q_dim);
      L.b_K = src.vector(p + "self_attn.k_proj.bias", kv_dim);
      L.b_V = src.vector(p + "self_attn.v_proj.bias", kv_dim);
    }
    L.W_O = src.linear(p + "self_attn.o_proj.weight", d, q_dim);
    if (c.attn_out_bias) L.b_O = src.vector(p + "self_attn.o_proj.bias", d);
    L.ln2_w = src.vector(p + "post_attention_layernorm.weight", d);
    L.W_in = src.linear(p + "mlp.gate_proj.weight", c.d_mlp, d);
    L.W_gate_linear = src.linear(p + "mlp.up_proj.weight", c.d_mlp, d);
    L.W_out = src.linear(p + "mlp.down_proj.weight", d, c.d_mlp);
    if (c.mlp_bias) {
      L.b_in = src.vector(p + "mlp.gate_proj.bias", c.d_mlp);
      L.b_gate_linear = src.vector(p + "mlp.up_proj.bias", c.d_mlp);
      L.b_out = src.vector(p + "mlp.down_proj.bias", d);
    }
    w.layers.push_back(std::move(L));
  }
  w.ln_f_w = src.vector("model.norm.weight", d);
  // Some tied checkpoints still store lm_head.weight; it is then a copy of embed_tokens.
  if (!c.tied_embeddings) w.W_U = src.matrix("lm_head.weight", c.d_vocab, d);
  std::set<std::string> ignorable = {".rotary_emb.inv_freq"};
  if (c.tied_embeddings) ignorable.insert("lm_head.weight");
  *report = src.report(ignorable);
  return w;
}

}  // namespace

std::vector<const WeightMatrix*> ModelWeights::matrices() const {
  std::vector<const WeightMatrix*> all = {&W_E, &W_pos, &W_U};
  for (const LayerWeights& L : layers)
    for (const WeightMatrix* m : {&L.W_Q, &L.W_K, &L.W_V, &L.W_O, &L.W_in, &L.W_gate_linear, &L.W_out}) all.push_back(m);
  all.erase(std::remove_if(all.begin(), all.end(), [](const WeightMatrix* m) { return m->size() == 0; }), all.end());
  return all;
}

std::string weight_precision(const ModelWeights& weights) {
  const std::vector<const WeightMatrix*> all = weights.matrices();
  std::string out;
  for (const auto& [precision, name] : {std::pair{Precision::F32, "F32"}, {Precision::F16, "F16"}, {Precision::BF16, "BF16"}}) {
    if (std::any_of(all.begin(), all.end(), [p = precision](const WeightMatrix* m) { return m->precision() == p; }))
      out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return out;
}

ModelWeights load_weights(const SafetensorsFile& file, const ModelConfig& config, LoadReport* report) {
  LoadReport local;
  ModelWeights w = config.family == Family::Gpt2 ? load_gpt2(file, config, &local) : load_llama(file, config, &local);
  if (report) *report = std::move(local);
  return w;
}

}  // namespace strata
