// Hugging Face config.json for the architectures Strata runs.
//
// model_type gpt2          -> Family::Gpt2  (LayerNorm, learned positions, gelu_new)
// model_type llama, qwen2  -> Family::Llama (RMSNorm, RoPE, SwiGLU, grouped-query attention;
//                                            qwen2 adds q/k/v biases)
// Every count is range-checked here; shapes are cross-checked against the
// tensors when the weights load.
#pragma once

#include <string>

namespace strata {

enum class Family { Gpt2, Llama };

struct ModelConfig {
  std::string model_type;  // "gpt2" | "llama" | "qwen2"
  Family family = Family::Gpt2;
  int n_layers = 0;
  int d_model = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  // == n_heads unless grouped-query attention
  int d_head = 0;
  int d_mlp = 0;
  int d_vocab = 0;
  int n_ctx = 0;        // maximum positions
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;  // Llama family only
  bool tied_embeddings = false;
  bool attn_qkv_bias = false;  // q/k/v projections have biases (gpt2, qwen2, llama attention_bias)
  bool attn_out_bias = false;  // output projection has a bias (gpt2, llama attention_bias)
  bool mlp_bias = false;       // MLP projections have biases (gpt2, llama mlp_bias)
};

// Parses and validates config.json text. `label` names the file in errors.
ModelConfig parse_model_config(const std::string& json_text, const std::string& label);

}  // namespace strata
