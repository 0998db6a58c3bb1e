// config.json: real-shaped GPT-2, LLaMA and Qwen2 configs fill every
// ModelConfig field; defaults apply when keys are absent; every range error
// (RELIABILITY.md rule 9) and every unsupported setting is refused with a
// message naming the key, what was expected and what was found. Loading holds
// the other files to the config: a weight of another shape, a missing weight
// and a tokenizer larger than vocab_size are refused by name.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "io/files.h"
#include "io/model-config.h"
#include "io/safetensors.h"
#include "model/model.h"

using namespace strata;
using json = nlohmann::json;

namespace {

// GPT-2 small (openai-community/gpt2), as published.
const char* const kGpt2Small = R"({
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_layer": 12,
  "n_positions": 1024,
  "resid_pdrop": 0.1,
  "summary_activation": null,
  "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true,
  "summary_type": "cls_index",
  "summary_use_proj": true,
  "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
  "vocab_size": 50257
})";

// TinyLlama-1.1B: grouped-query attention (32 heads, 4 key/value heads).
const char* const kTinyLlama = R"({
  "architectures": ["LlamaForCausalLM"],
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 5632,
  "max_position_embeddings": 2048,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 22,
  "num_key_value_heads": 4,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.31.0.dev0",
  "use_cache": true,
  "vocab_size": 32000
})";

// SmolLM2-135M: a llama with tied embeddings and an explicit rope_theta.
const char* const kSmolLm2 = R"({
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 0,
  "eos_token_id": 0,
  "head_dim": 64,
  "hidden_act": "silu",
  "hidden_size": 576,
  "initializer_range": 0.041666666666666664,
  "intermediate_size": 1536,
  "is_llama_config": true,
  "max_position_embeddings": 8192,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": 9,
  "num_hidden_layers": 30,
  "num_key_value_heads": 3,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_interleaved": false,
  "rope_scaling": null,
  "rope_theta": 100000,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.42.3",
  "use_cache": true,
  "vocab_size": 49152
})";

// Qwen2.5-0.5B.
const char* const kQwen25 = R"({
  "architectures": ["Qwen2ForCausalLM"],
  "attention_dropout": 0.0,
  "bos_token_id": 151643,
  "eos_token_id": 151643,
  "hidden_act": "silu",
  "hidden_size": 896,
  "initializer_range": 0.02,
  "intermediate_size": 4864,
  "max_position_embeddings": 32768,
  "max_window_layers": 24,
  "model_type": "qwen2",
  "num_attention_heads": 14,
  "num_hidden_layers": 24,
  "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06,
  "rope_theta": 1000000.0,
  "sliding_window": 32768,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.40.1",
  "use_cache": true,
  "use_sliding_window": false,
  "vocab_size": 151936
})";

ModelConfig parse(const json& j) { return parse_model_config(j.dump(), "config.json"); }

json with(const char* base, const json& changes) {
  json j = json::parse(base);
  for (const auto& [key, value] : changes.items()) j[key] = value;
  return j;
}

json without(const char* base, const std::string& key) {
  json j = json::parse(base);
  j.erase(key);
  return j;
}

std::string bad_file(const std::string& name) {
  return read_file_text(std::string(STRATA_SOURCE_DIR) + "/tests/data/bad/config-" + name + ".json");
}

struct Refusal {
  json changes;
  const char* message;
};

void check_refused(const char* base, const std::vector<Refusal>& cases) {
  for (const Refusal& r : cases) {
    INFO("changes " << r.changes.dump());
    CHECK_THROWS_WITH(parse(with(base, r.changes)), r.message);
  }
}

}  // namespace

// --- real configs ---------------------------------------------------------------

TEST_CASE("GPT-2 small's config.json fills every field", "[config]") {
  const ModelConfig c = parse_model_config(kGpt2Small, "config.json");
  CHECK(c.model_type == "gpt2");
  CHECK(c.family == Family::Gpt2);
  CHECK(c.n_layers == 12);
  CHECK(c.d_model == 768);
  CHECK(c.n_heads == 12);
  CHECK(c.n_kv_heads == 12);
  CHECK(c.d_head == 64);
  CHECK(c.d_mlp == 3072);  // n_inner absent: 4 * n_embd
  CHECK(c.d_vocab == 50257);
  CHECK(c.n_ctx == 1024);
  CHECK(c.norm_eps == Approx(1e-5).epsilon(1e-6));
  CHECK(c.tied_embeddings);
  CHECK(c.attn_qkv_bias);
  CHECK(c.attn_out_bias);
  CHECK(c.mlp_bias);
}

TEST_CASE("GPT-2 variants: n_inner, n_ctx without n_positions, untied, defaults", "[config]") {
  ModelConfig c = parse(with(kGpt2Small, {{"n_inner", 1000}, {"tie_word_embeddings", false}}));
  CHECK(c.d_mlp == 1000);
  CHECK_FALSE(c.tied_embeddings);
  CHECK(parse(with(kGpt2Small, {{"n_inner", nullptr}})).d_mlp == 3072);
  c = parse(with(kGpt2Small, {{"n_positions", nullptr}, {"n_ctx", 256}}));
  CHECK(c.n_ctx == 256);
  c = parse(without(kGpt2Small, "n_positions"));
  CHECK(c.n_ctx == 1024);
  c = parse(with(kGpt2Small, {{"n_positions", 512}, {"n_ctx", 1024}}));
  CHECK(c.n_ctx == 512);  // n_positions sizes the position embedding
  json j = json::parse(kGpt2Small);
  j.erase("layer_norm_epsilon");
  j.erase("activation_function");
  c = parse(j);
  CHECK(c.norm_eps == Approx(1e-5).epsilon(1e-6));
}

TEST_CASE("TinyLlama's config.json: grouped-query attention", "[config]") {
  const ModelConfig c = parse_model_config(kTinyLlama, "config.json");
  CHECK(c.model_type == "llama");
  CHECK(c.family == Family::Llama);
  CHECK(c.n_layers == 22);
  CHECK(c.d_model == 2048);
  CHECK(c.n_heads == 32);
  CHECK(c.n_kv_heads == 4);
  CHECK(c.d_head == 64);
  CHECK(c.d_mlp == 5632);
  CHECK(c.d_vocab == 32000);
  CHECK(c.n_ctx == 2048);
  CHECK(c.norm_eps == Approx(1e-5).epsilon(1e-6));
  CHECK(c.rope_theta == Approx(10000.0).margin(0));  // default
  CHECK_FALSE(c.tied_embeddings);
  CHECK_FALSE(c.attn_qkv_bias);
  CHECK_FALSE(c.attn_out_bias);
  CHECK_FALSE(c.mlp_bias);
}

TEST_CASE("SmolLM2's config.json: tied embeddings, explicit head_dim and rope_theta", "[config]") {
  const ModelConfig c = parse_model_config(kSmolLm2, "config.json");
  CHECK(c.n_layers == 30);
  CHECK(c.d_model == 576);
  CHECK(c.n_heads == 9);
  CHECK(c.n_kv_heads == 3);
  CHECK(c.d_head == 64);
  CHECK(c.d_mlp == 1536);
  CHECK(c.d_vocab == 49152);
  CHECK(c.n_ctx == 8192);
  CHECK(c.rope_theta == Approx(100000.0).margin(0));
  CHECK(c.tied_embeddings);
}

TEST_CASE("Qwen2.5-0.5B's config.json: q/k/v biases only", "[config]") {
  const ModelConfig c = parse_model_config(kQwen25, "config.json");
  CHECK(c.model_type == "qwen2");
  CHECK(c.family == Family::Llama);
  CHECK(c.n_layers == 24);
  CHECK(c.d_model == 896);
  CHECK(c.n_heads == 14);
  CHECK(c.n_kv_heads == 2);
  CHECK(c.d_head == 64);
  CHECK(c.d_mlp == 4864);
  CHECK(c.d_vocab == 151936);
  CHECK(c.n_ctx == 32768);
  CHECK(c.norm_eps == Approx(1e-6).epsilon(1e-6));
  CHECK(c.rope_theta == Approx(1e6).margin(0));
  CHECK(c.tied_embeddings);
  CHECK(c.attn_qkv_bias);
  CHECK_FALSE(c.attn_out_bias);
  CHECK_FALSE(c.mlp_bias);
}

TEST_CASE("llama options: biases, head_dim, and defaults", "[config]") {
  ModelConfig c = parse(with(kTinyLlama, {{"attention_bias", true}, {"mlp_bias", true}}));
  CHECK(c.attn_qkv_bias);
  CHECK(c.attn_out_bias);
  CHECK(c.mlp_bias);
  // head_dim may make n_heads * d_head differ from hidden_size
  c = parse(with(kTinyLlama, {{"head_dim", 128}, {"num_attention_heads", 16}, {"num_key_value_heads", 8}}));
  CHECK(c.d_head == 128);
  CHECK(c.n_heads == 16);
  // head_dim: null and num_key_value_heads absent take their defaults
  json j = with(kTinyLlama, {{"head_dim", nullptr}});
  j.erase("num_key_value_heads");
  j.erase("rms_norm_eps");
  j.erase("hidden_act");
  j.erase("tie_word_embeddings");
  j.erase("rope_scaling");
  c = parse(j);
  CHECK(c.n_kv_heads == 32);
  CHECK(c.d_head == 64);
  CHECK(c.norm_eps == Approx(1e-6).epsilon(1e-6));
  CHECK_FALSE(c.tied_embeddings);
  // qwen2 ignores attention_bias: its biases are fixed by the architecture
  c = parse(with(kQwen25, {{"attention_bias", false}, {"tie_word_embeddings", false}}));
  CHECK(c.attn_qkv_bias);
  CHECK_FALSE(c.tied_embeddings);
}

TEST_CASE("the configs of the parity fixtures parse", "[config]") {
  for (const char* dir : {"gpt2-f32", "llama-gqa-f32", "qwen2-f32"}) {
    INFO(dir);
    const std::string path = std::string(STRATA_SOURCE_DIR) + "/tests/data/parity/" + dir + "/config.json";
    if (!file_exists(path)) continue;
    const ModelConfig c = parse_model_config(read_file_text(path), path);
    CHECK(c.n_layers >= 1);
    CHECK(c.n_heads % c.n_kv_heads == 0);
  }
}

// --- refused configs ----------------------------------------------------------------

TEST_CASE("bad config files are refused by name", "[config]") {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"unknown-model-type", "config.json: model_type: expected one of gpt2, llama, qwen2, found \"bert\""},
      {"missing-model-type", "config.json: model_type: expected a string, found nothing (the key is missing)"},
      {"not-object", "config.json: expected a JSON object, found an array"},
      {"duplicate-key", "config.json: duplicate key \"n_layer\" at /"},
      {"layers-not-integer", "config.json: n_layer: expected integer in [1, 256], found string \"12\""},
      {"layers-zero", "config.json: n_layer: expected integer in [1, 256], found 0"},
      {"missing-vocab", "config.json: vocab_size: expected integer in [1, 1000000], found nothing (the key is missing)"},
      {"gpt2-activation",
       "config.json: activation_function: expected \"gelu_new\" (the only one supported), found \"relu\""},
      {"gpt2-heads-not-dividing", "config.json: n_embd 768 is not divisible by n_head 7"},
      {"llama-rope-scaling",
       "config.json: rope_scaling is not supported (found an object; only plain rotary embeddings, rope_scaling null "
       "or absent)"},
      {"llama-hidden-act", "config.json: hidden_act: expected \"silu\" (the only one supported), found \"gelu\""},
      {"llama-kv-heads-not-dividing", "config.json: num_attention_heads 32 is not divisible by num_key_value_heads 5"},
      {"llama-eps-zero", "config.json: rms_norm_eps: expected a positive number that is finite as a float, found 0"},
      {"vocab-too-large", "config.json: vocab_size: expected integer in [1, 1000000], found 1000001"},
  };
  for (const auto& [file, message] : cases) {
    INFO("tests/data/bad/config-" << file << ".json");
    CHECK_THROWS_WITH(parse_model_config(bad_file(file), "config.json"), message);
  }
}

TEST_CASE("gpt2 range errors", "[config]") {
  check_refused(kGpt2Small, {
      {{{"n_layer", 0}}, "config.json: n_layer: expected integer in [1, 256], found 0"},
      {{{"n_layer", 257}}, "config.json: n_layer: expected integer in [1, 256], found 257"},
      {{{"n_embd", 0}}, "config.json: n_embd: expected integer in [1, 16384], found 0"},
      {{{"n_embd", 16385}}, "config.json: n_embd: expected integer in [1, 16384], found 16385"},
      {{{"n_head", 0}}, "config.json: n_head: expected integer in [1, 256], found 0"},
      {{{"n_head", 257}}, "config.json: n_head: expected integer in [1, 256], found 257"},
      {{{"n_head", 5}}, "config.json: n_embd 768 is not divisible by n_head 5"},
      {{{"n_positions", 0}}, "config.json: n_positions: expected integer in [1, 1048576], found 0"},
      {{{"n_positions", 1048577}}, "config.json: n_positions: expected integer in [1, 1048576], found 1048577"},
      {{{"n_positions", nullptr}, {"n_ctx", -1}}, "config.json: n_ctx: expected integer in [1, 1048576], found -1"},
      {{{"vocab_size", 0}}, "config.json: vocab_size: expected integer in [1, 1000000], found 0"},
      {{{"vocab_size", 1000001}}, "config.json: vocab_size: expected integer in [1, 1000000], found 1000001"},
      {{{"n_inner", 0}}, "config.json: n_inner: expected integer in [1, 131072], found 0"},
      {{{"n_inner", 131073}}, "config.json: n_inner: expected integer in [1, 131072], found 131073"},
      {{{"n_inner", 3072.5}}, "config.json: n_inner: expected integer in [1, 131072], found 3072.5"},
      {{{"n_layer", 12.0}}, "config.json: n_layer: expected integer in [1, 256], found 12.0"},
      {{{"n_layer", "12"}}, "config.json: n_layer: expected integer in [1, 256], found string \"12\""},
      {{{"n_layer", 18446744073709551615ull}},
       "config.json: n_layer: expected integer in [1, 256], found 18446744073709551615"},
      {{{"layer_norm_epsilon", 0}},
       "config.json: layer_norm_epsilon: expected a positive number that is finite as a float, found 0"},
      {{{"layer_norm_epsilon", -1e-5}},
       "config.json: layer_norm_epsilon: expected a positive number that is finite as a float, found -1e-05"},
      {{{"layer_norm_epsilon", 1e-50}},
       "config.json: layer_norm_epsilon: expected a positive number that is finite as a float, found 1e-50"},
      {{{"layer_norm_epsilon", 1e300}},
       "config.json: layer_norm_epsilon: expected a positive number that is finite as a float, found 1e+300"},
      {{{"layer_norm_epsilon", "1e-5"}}, "config.json: layer_norm_epsilon: expected a number, found string \"1e-5\""},
      {{{"tie_word_embeddings", 1}}, "config.json: tie_word_embeddings: expected a boolean, found 1"},
  });
  CHECK_THROWS_WITH(parse(without(kGpt2Small, "n_layer")),
                    "config.json: n_layer: expected integer in [1, 256], found nothing (the key is missing)");
  json j = without(kGpt2Small, "n_positions");
  j.erase("n_ctx");
  CHECK_THROWS_WITH(parse(j), "config.json: n_ctx: expected integer in [1, 1048576], found nothing (the key is missing)");
}

TEST_CASE("gpt2 settings that change the architecture are refused", "[config]") {
  check_refused(kGpt2Small, {
      {{{"activation_function", "gelu"}},
       "config.json: activation_function: expected \"gelu_new\" (the only one supported), found \"gelu\""},
      {{{"activation_function", "gelu_pytorch_tanh"}},
       "config.json: activation_function: expected \"gelu_new\" (the only one supported), found \"gelu_pytorch_tanh\""},
      {{{"scale_attn_weights", false}},
       "config.json: scale_attn_weights = false is not supported (attention scores are always scaled by "
       "1/sqrt(d_head))"},
      {{{"scale_attn_by_inverse_layer_idx", true}},
       "config.json: scale_attn_by_inverse_layer_idx = true is not supported (per-layer attention scaling)"},
  });
}

TEST_CASE("llama and qwen2 range errors", "[config]") {
  check_refused(kTinyLlama, {
      {{{"num_hidden_layers", 0}}, "config.json: num_hidden_layers: expected integer in [1, 256], found 0"},
      {{{"num_hidden_layers", 300}}, "config.json: num_hidden_layers: expected integer in [1, 256], found 300"},
      {{{"hidden_size", 0}}, "config.json: hidden_size: expected integer in [1, 16384], found 0"},
      {{{"hidden_size", 16385}}, "config.json: hidden_size: expected integer in [1, 16384], found 16385"},
      {{{"num_attention_heads", 0}}, "config.json: num_attention_heads: expected integer in [1, 256], found 0"},
      {{{"num_attention_heads", 512}}, "config.json: num_attention_heads: expected integer in [1, 256], found 512"},
      {{{"num_key_value_heads", 0}}, "config.json: num_key_value_heads: expected integer in [1, 256], found 0"},
      {{{"num_key_value_heads", 257}}, "config.json: num_key_value_heads: expected integer in [1, 256], found 257"},
      {{{"num_key_value_heads", 6}}, "config.json: num_attention_heads 32 is not divisible by num_key_value_heads 6"},
      {{{"num_key_value_heads", 64}},
       "config.json: num_attention_heads 32 is not divisible by num_key_value_heads 64"},
      {{{"num_attention_heads", 30}, {"num_key_value_heads", 30}},
       "config.json: hidden_size 2048 is not divisible by num_attention_heads 30"},
      {{{"head_dim", 0}}, "config.json: head_dim: expected integer in [1, 1024], found 0"},
      {{{"head_dim", 2048}}, "config.json: head_dim: expected integer in [1, 1024], found 2048"},
      {{{"head_dim", 63}}, "config.json: head dimension 63 must be even for rotary embeddings"},
      {{{"hidden_size", 96}, {"num_attention_heads", 32}, {"num_key_value_heads", 32}},
       "config.json: head dimension 3 must be even for rotary embeddings"},
      {{{"head_dim", 1024}},
       "config.json: num_attention_heads 32 x head dimension 1024 exceeds 16384"},
      {{{"intermediate_size", 0}}, "config.json: intermediate_size: expected integer in [1, 131072], found 0"},
      {{{"intermediate_size", 131073}},
       "config.json: intermediate_size: expected integer in [1, 131072], found 131073"},
      {{{"vocab_size", 0}}, "config.json: vocab_size: expected integer in [1, 1000000], found 0"},
      {{{"vocab_size", 2000000}}, "config.json: vocab_size: expected integer in [1, 1000000], found 2000000"},
      {{{"max_position_embeddings", 0}},
       "config.json: max_position_embeddings: expected integer in [1, 1048576], found 0"},
      {{{"max_position_embeddings", 2097152}},
       "config.json: max_position_embeddings: expected integer in [1, 1048576], found 2097152"},
      {{{"rms_norm_eps", 0.0}},
       "config.json: rms_norm_eps: expected a positive number that is finite as a float, found 0.0"},
      {{{"rms_norm_eps", -1e-6}},
       "config.json: rms_norm_eps: expected a positive number that is finite as a float, found -1e-06"},
      {{{"rope_theta", 0}}, "config.json: rope_theta: expected a positive number that is finite as a float, found 0"},
      {{{"rope_theta", 1e39}},
       "config.json: rope_theta: expected a positive number that is finite as a float, found 1e+39"},
      {{{"attention_bias", "no"}}, "config.json: attention_bias: expected a boolean, found string \"no\""},
  });
  check_refused(kQwen25, {
      {{{"num_hidden_layers", 257}}, "config.json: num_hidden_layers: expected integer in [1, 256], found 257"},
      {{{"vocab_size", 1000001}}, "config.json: vocab_size: expected integer in [1, 1000000], found 1000001"},
      {{{"num_key_value_heads", 4}}, "config.json: num_attention_heads 14 is not divisible by num_key_value_heads 4"},
  });
}

TEST_CASE("llama and qwen2 settings that change the architecture are refused", "[config]") {
  check_refused(kTinyLlama, {
      {{{"hidden_act", "gelu"}}, "config.json: hidden_act: expected \"silu\" (the only one supported), found \"gelu\""},
      {{{"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}}}},
       "config.json: rope_scaling is not supported (found an object; only plain rotary embeddings, rope_scaling null "
       "or absent)"},
  });
  check_refused(kQwen25, {
      {{{"use_sliding_window", true}},
       "config.json: use_sliding_window = true is not supported (sliding-window attention)"},
      {{{"hidden_act", "gelu_pytorch_tanh"}},
       "config.json: hidden_act: expected \"silu\" (the only one supported), found \"gelu_pytorch_tanh\""},
  });
}

TEST_CASE("config.json that is not a JSON object or not JSON", "[config]") {
  CHECK_THROWS_WITH(parse_model_config("[]", "config.json"), "config.json: expected a JSON object, found an array");
  CHECK_THROWS_WITH(parse_model_config("{\"model_type\": ", "config.json"),
                    Catch::StartsWith("config.json: invalid JSON at byte 15: "));
  CHECK_THROWS_WITH(parse(with(kGpt2Small, {{"model_type", 2}})), "config.json: model_type: expected a string, found 2");
  CHECK_THROWS_WITH(parse(with(kGpt2Small, {{"model_type", "mistral"}})),
                    "config.json: model_type: expected one of gpt2, llama, qwen2, found \"mistral\"");
}

// --- config.json against the weights and the tokenizer -----------------------------

namespace {

// A one-layer GPT-2 with d_model 8, 2 heads, d_mlp 32, 8 positions and 12 tokens.
const char* const kTinyGpt2 =
    R"({"model_type": "gpt2", "n_layer": 1, "n_embd": 8, "n_head": 2, "n_positions": 8, "vocab_size": 12})";

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

Tensor zeros(std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return Tensor{std::move(shape), std::vector<float>(static_cast<size_t>(n), 0.0f)};
}

// Every tensor kTinyGpt2 calls for, in the shape it calls for.
NamedTensors tiny_gpt2_tensors() {
  return {{"wte.weight", zeros({12, 8})},          {"wpe.weight", zeros({8, 8})},
          {"h.0.ln_1.weight", zeros({8})},         {"h.0.ln_1.bias", zeros({8})},
          {"h.0.attn.c_attn.weight", zeros({8, 24})}, {"h.0.attn.c_attn.bias", zeros({24})},
          {"h.0.attn.c_proj.weight", zeros({8, 8})},  {"h.0.attn.c_proj.bias", zeros({8})},
          {"h.0.ln_2.weight", zeros({8})},         {"h.0.ln_2.bias", zeros({8})},
          {"h.0.mlp.c_fc.weight", zeros({8, 32})}, {"h.0.mlp.c_fc.bias", zeros({32})},
          {"h.0.mlp.c_proj.weight", zeros({32, 8})}, {"h.0.mlp.c_proj.bias", zeros({8})},
          {"ln_f.weight", zeros({8})},             {"ln_f.bias", zeros({8})}};
}

// A WordLevel tokenizer.json whose ids run from 0 to n_tokens - 1.
std::string word_level_tokenizer(int n_tokens) {
  json vocab = json::object();
  vocab["[UNK]"] = 0;
  for (int i = 1; i < n_tokens; ++i) vocab["w" + std::to_string(i)] = i;
  return json{{"model", {{"type", "WordLevel"}, {"unk_token", "[UNK]"}, {"vocab", vocab}}},
              {"pre_tokenizer", {{"type", "Whitespace"}}}}
      .dump();
}

ModelFiles tiny_gpt2_files(const NamedTensors& tensors, std::optional<std::string> tokenizer = std::nullopt) {
  ModelFiles files;
  files.label = "model";
  files.config_json = kTinyGpt2;
  files.safetensors = write_safetensors_f32(tensors);
  files.tokenizer_json = std::move(tokenizer);
  return files;
}

NamedTensors with_shape(NamedTensors tensors, const std::string& name, std::vector<int64_t> shape) {
  for (auto& [n, t] : tensors)
    if (n == name) t = zeros(std::move(shape));
  return tensors;
}

NamedTensors without_tensor(NamedTensors tensors, const std::string& name) {
  tensors.erase(std::remove_if(tensors.begin(), tensors.end(), [&](const auto& t) { return t.first == name; }),
                tensors.end());
  return tensors;
}

}  // namespace

TEST_CASE("a weight whose shape is not the one config.json gives is refused, naming the tensor", "[config][weights]") {
  REQUIRE(load_model(tiny_gpt2_files(tiny_gpt2_tensors())).config.d_mlp == 32);
  CHECK_THROWS_WITH(load_model(tiny_gpt2_files(with_shape(tiny_gpt2_tensors(), "h.0.mlp.c_fc.weight", {8, 33}))),
                    "model/model.safetensors: tensor \"h.0.mlp.c_fc.weight\": shape: expected [8, 32], found [8, 33]");
  CHECK_THROWS_WITH(load_model(tiny_gpt2_files(with_shape(tiny_gpt2_tensors(), "wte.weight", {13, 8}))),
                    "model/model.safetensors: tensor \"wte.weight\": shape: expected [12, 8], found [13, 8]");
  CHECK_THROWS_WITH(load_model(tiny_gpt2_files(with_shape(tiny_gpt2_tensors(), "ln_f.bias", {1, 8}))),
                    "model/model.safetensors: tensor \"ln_f.bias\": shape: expected [8], found [1, 8]");
  CHECK_THROWS_WITH(load_model(tiny_gpt2_files(without_tensor(tiny_gpt2_tensors(), "h.0.attn.c_proj.bias"))),
                    "model/model.safetensors: missing tensor \"h.0.attn.c_proj.bias\" (expected shape [8])");
}

TEST_CASE("a tokenizer.json with more tokens than config.json's vocab_size is refused", "[config][tokenizer]") {
  CHECK(load_model(tiny_gpt2_files(tiny_gpt2_tensors(), word_level_tokenizer(12))).tokenizer->vocab_size() == 12);
  CHECK(load_model(tiny_gpt2_files(tiny_gpt2_tensors(), word_level_tokenizer(5))).tokenizer->vocab_size() == 5);
  CHECK_THROWS_WITH(load_model(tiny_gpt2_files(tiny_gpt2_tensors(), word_level_tokenizer(13))),
                    "model/tokenizer.json: vocabulary size: expected at most the model's vocab_size 12, found 13");
  // An added token counts too.
  json added = json::parse(word_level_tokenizer(12));
  added["added_tokens"] = {{{"id", 40}, {"content", "<|end|>"}}};
  CHECK_THROWS_WITH(load_model(tiny_gpt2_files(tiny_gpt2_tensors(), added.dump())),
                    "model/tokenizer.json: vocabulary size: expected at most the model's vocab_size 12, found 41");
}

TEST_CASE("a non-finite weight is refused at load, naming the tensor and its flat index", "[config][weights][non-finite]") {
  for (const auto& [value, name] : std::vector<std::pair<float, std::string>>{{NAN, "NaN"}, {INFINITY, "+Inf"}, {-INFINITY, "-Inf"}}) {
    NamedTensors tensors = tiny_gpt2_tensors();
    tensors[0].second.data[3 * 8 + 5] = value;  // wte.weight, row 3 (one token's embedding), column 5
    CHECK_THROWS_WITH(load_model(tiny_gpt2_files(tensors)),
                      "model/model.safetensors: tensor \"wte.weight\": non-finite value " + name + " at flat index 29");
  }
  NamedTensors tensors = tiny_gpt2_tensors();
  tensors[15].second.data[7] = NAN;
  CHECK_THROWS_WITH(load_model(tiny_gpt2_files(tensors)),
                    "model/model.safetensors: tensor \"ln_f.bias\": non-finite value NaN at flat index 7");
}
