// config.json -> ModelConfig: reads the Hugging Face keys of each supported
// model_type, applies the library's defaults, refuses settings that change
// the architecture in ways Strata does not implement, and range-checks every
// count (RELIABILITY.md rule 9). Not responsible for the cross-check against
// tensor shapes, which happens when the weights load.
#include "io/model-config.h"

#include <cmath>
#include <limits>

#include "base/error.h"
#include "io/json-reader.h"

namespace strata {
namespace {

using json = nlohmann::json;

// Ranges of RELIABILITY.md rule 9.
constexpr int64_t kMaxLayers = 256;
constexpr int64_t kMaxDModel = 16384;
constexpr int64_t kMaxHeads = 256;
constexpr int64_t kMaxVocab = 1'000'000;
constexpr int64_t kMaxCtx = 1'048'576;
constexpr int64_t kMaxDMlp = 131072;
constexpr int64_t kMaxDHead = 1024;

int get_count(const json& j, const char* key, const std::string& label, int64_t max_value) {
  return static_cast<int>(json_get_int(j, key, label, 1, max_value));
}

int get_count_or(const json& j, const char* key, const std::string& label, int64_t max_value, int fallback) {
  return json_has(j, key) ? get_count(j, key, label, max_value) : fallback;
}

bool get_bool_or(const json& j, const char* key, const std::string& label, bool fallback) {
  return json_has(j, key) ? json_get_bool(j, key, label) : fallback;
}

// A positive, finite value that stays positive and finite as a float.
float get_positive_float_or(const json& j, const char* key, const std::string& label, double fallback) {
  const double d = json_has(j, key) ? json_get_number(j, key, label) : fallback;
  const float f = static_cast<float>(d);
  if (!(d > 0) || !(f > 0) || !std::isfinite(f))
    fail_expected(label + ": " + key, "a positive number that is finite as a float", json_describe(j.at(key)));
  return f;
}

// A string option that must have one value (when present).
void require_string_value(const json& j, const char* key, const std::string& label, const std::string& only) {
  if (!json_has(j, key)) return;
  const std::string value = json_get_string(j, key, label);
  if (value != only) fail_expected(label + ": " + key, "\"" + only + "\" (the only one supported)", "\"" + value + "\"");
}

// A boolean option that must keep the value Strata implements (when present).
void require_bool_value(const json& j, const char* key, const std::string& label, bool only, const char* why) {
  if (!json_has(j, key)) return;
  if (json_get_bool(j, key, label) != only)
    throw Error(label + ": " + key + " = " + (only ? "false" : "true") + " is not supported (" + why + ")");
}

void require_divisible(int64_t a, const char* a_name, int64_t b, const char* b_name, const std::string& label) {
  if (a % b != 0)
    throw Error(label + ": " + a_name + " " + std::to_string(a) + " is not divisible by " + b_name + " " +
                std::to_string(b));
}

// --- gpt2 ------------------------------------------------------------------

ModelConfig parse_gpt2(const json& j, const std::string& label) {
  ModelConfig c;
  c.model_type = "gpt2";
  c.family = Family::Gpt2;
  c.n_layers = get_count(j, "n_layer", label, kMaxLayers);
  c.d_model = get_count(j, "n_embd", label, kMaxDModel);
  c.n_heads = get_count(j, "n_head", label, kMaxHeads);
  require_divisible(c.d_model, "n_embd", c.n_heads, "n_head", label);
  c.n_kv_heads = c.n_heads;
  c.d_head = c.d_model / c.n_heads;
  c.n_ctx = json_has(j, "n_positions") ? get_count(j, "n_positions", label, kMaxCtx)
                                       : get_count(j, "n_ctx", label, kMaxCtx);
  c.d_vocab = get_count(j, "vocab_size", label, kMaxVocab);
  c.d_mlp = get_count_or(j, "n_inner", label, kMaxDMlp, 4 * c.d_model);
  c.norm_eps = get_positive_float_or(j, "layer_norm_epsilon", label, 1e-5);
  require_string_value(j, "activation_function", label, "gelu_new");
  require_bool_value(j, "scale_attn_weights", label, true, "attention scores are always scaled by 1/sqrt(d_head)");
  require_bool_value(j, "scale_attn_by_inverse_layer_idx", label, false, "per-layer attention scaling");
  c.tied_embeddings = get_bool_or(j, "tie_word_embeddings", label, true);
  c.attn_qkv_bias = c.attn_out_bias = c.mlp_bias = true;
  return c;
}

// --- llama and qwen2 -------------------------------------------------------

void read_llama_heads(const json& j, const std::string& label, ModelConfig& c) {
  c.n_heads = get_count(j, "num_attention_heads", label, kMaxHeads);
  c.n_kv_heads = get_count_or(j, "num_key_value_heads", label, kMaxHeads, c.n_heads);
  require_divisible(c.n_heads, "num_attention_heads", c.n_kv_heads, "num_key_value_heads", label);
  if (json_has(j, "head_dim")) {
    c.d_head = get_count(j, "head_dim", label, kMaxDHead);
  } else {
    require_divisible(c.d_model, "hidden_size", c.n_heads, "num_attention_heads", label);
    c.d_head = c.d_model / c.n_heads;
  }
  if (c.d_head % 2 != 0)
    throw Error(label + ": head dimension " + std::to_string(c.d_head) + " must be even for rotary embeddings");
  if (static_cast<int64_t>(c.n_heads) * c.d_head > kMaxDModel)
    throw Error(label + ": num_attention_heads " + std::to_string(c.n_heads) + " x head dimension " +
                std::to_string(c.d_head) + " exceeds " + std::to_string(kMaxDModel));
}

ModelConfig parse_llama(const json& j, const std::string& label, const std::string& model_type) {
  const bool qwen2 = model_type == "qwen2";
  ModelConfig c;
  c.model_type = model_type;
  c.family = Family::Llama;
  c.n_layers = get_count(j, "num_hidden_layers", label, kMaxLayers);
  c.d_model = get_count(j, "hidden_size", label, kMaxDModel);
  read_llama_heads(j, label, c);
  c.d_mlp = get_count(j, "intermediate_size", label, kMaxDMlp);
  c.d_vocab = get_count(j, "vocab_size", label, kMaxVocab);
  c.n_ctx = get_count(j, "max_position_embeddings", label, kMaxCtx);
  c.norm_eps = get_positive_float_or(j, "rms_norm_eps", label, 1e-6);
  c.rope_theta = get_positive_float_or(j, "rope_theta", label, 10000.0);
  require_string_value(j, "hidden_act", label, "silu");
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
    throw Error(label + ": rope_scaling is not supported (found " + json_describe(j["rope_scaling"]) +
                "; only plain rotary embeddings, rope_scaling null or absent)");
  c.tied_embeddings = get_bool_or(j, "tie_word_embeddings", label, false);
  if (qwen2) {
    require_bool_value(j, "use_sliding_window", label, false, "sliding-window attention");
    c.attn_qkv_bias = true;
    c.attn_out_bias = false;
    c.mlp_bias = false;
  } else {
    c.attn_qkv_bias = c.attn_out_bias = get_bool_or(j, "attention_bias", label, false);
    c.mlp_bias = get_bool_or(j, "mlp_bias", label, false);
  }
  return c;
}

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& label) {
  JsonLimits limits;
  limits.max_bytes = 4u << 20;
  limits.max_depth = 32;
  limits.max_elements = 1'000'000;
  const json j = parse_json_strict(json_text, label, limits);
  if (!j.is_object()) fail_expected(label, "a JSON object", json_describe(j));
  const std::string model_type = json_get_string(j, "model_type", label);
  if (model_type == "gpt2") return parse_gpt2(j, label);
  if (model_type == "llama" || model_type == "qwen2") return parse_llama(j, label, model_type);
  fail_expected(label + ": model_type", "one of gpt2, llama, qwen2", "\"" + model_type + "\"");
}

}  // namespace strata
