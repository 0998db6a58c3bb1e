// Model weights in the layout the forward pass uses, loaded from Hugging Face
// tensor names.
//
// Every projection is stored as [in, out] so that y = x * W (x: [pos, in]).
// GPT-2's Conv1D weights are already [in, out]; LLaMA/Qwen2 nn.Linear weights
// ([out, in]) are transposed once at load. Biases that an architecture lacks
// are empty. Weight matrices keep the file's precision (F32, F16 or BF16; see
// tensor/weight-matrix.h); norms and biases are f32 whatever the file held.
#pragma once

#include <string>
#include <vector>

#include "io/model-config.h"
#include "io/safetensors.h"
#include "tensor/tensor.h"
#include "tensor/weight-matrix.h"

namespace strata {

struct LayerWeights {
  RowVec ln1_w, ln1_b;           // (d_model) norm before attention; ln1_b empty for RMSNorm
  WeightMatrix W_Q;              // (d_model, n_heads * d_head)
  WeightMatrix W_K, W_V;         // (d_model, n_kv_heads * d_head)
  RowVec b_Q, b_K, b_V;          // empty when the architecture has no q/k/v bias
  WeightMatrix W_O;              // (n_heads * d_head, d_model)
  RowVec b_O;
  RowVec ln2_w, ln2_b;           // (d_model) norm before the MLP
  WeightMatrix W_in;             // (d_model, d_mlp): GPT-2 c_fc; LLaMA gate_proj
  WeightMatrix W_gate_linear;    // (d_model, d_mlp): LLaMA up_proj; empty for GPT-2
  RowVec b_in, b_gate_linear;
  WeightMatrix W_out;            // (d_mlp, d_model)
  RowVec b_out;
};

struct ModelWeights {
  WeightMatrix W_E;              // (d_vocab, d_model) token embeddings
  WeightMatrix W_pos;            // (n_ctx, d_model) GPT-2 only
  std::vector<LayerWeights> layers;
  RowVec ln_f_w, ln_f_b;         // (d_model)
  WeightMatrix W_U;              // (d_vocab, d_model): lm_head.weight; empty when tied to W_E

  const WeightMatrix& unembedding() const { return W_U.size() ? W_U : W_E; }  // (d_vocab, d_model)
  // Every weight matrix the model has (the empty ones of an architecture left out).
  std::vector<const WeightMatrix*> matrices() const;
};

// The precisions the weight matrices are kept in, distinct, in the order
// F32, F16, BF16 ("BF16"; "F32, BF16" for a file that mixes them).
std::string weight_precision(const ModelWeights& weights);

struct LoadReport {
  std::vector<std::string> ignored_tensors;  // known buffers (attn.bias, rotary inv_freq)
  std::vector<std::string> unknown_tensors;  // names no loader rule matched: reported, not used
};

// Loads and shape-checks every tensor the architecture needs. A missing tensor
// or a wrong shape throws strata::Error naming the tensor and both shapes; so
// does a NaN or infinite value (naming the tensor and the value's flat index).
ModelWeights load_weights(const SafetensorsFile& file, const ModelConfig& config, LoadReport* report);

}  // namespace strata
