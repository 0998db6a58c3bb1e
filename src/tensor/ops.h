// Element-wise and row-wise kernels of the forward pass: norms, activations,
// softmax and rotary embeddings. All work on row-major matrices whose rows
// are token positions.
#pragma once

#include "tensor/tensor.h"

namespace strata {

// out = (x - mean) / sqrt(var + eps) * w + b, per row (GPT-2 LayerNorm).
void layer_norm(const Mat& x, const RowVec& w, const RowVec& b, float eps, Mat& out);
// out = x / sqrt(mean(x^2) + eps) * w, per row (LLaMA RMSNorm).
void rms_norm(const Mat& x, const RowVec& w, float eps, Mat& out);

void gelu_new_inplace(Mat& x);  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
void silu_inplace(Mat& x);      // x * sigmoid(x)

// Softmax of scale * row[0, n) in place, for scale > 0, and zeros in
// row[n, width): a row of attention scores whose keys from n on are masked.
// -inf entries get probability 0, and n entries of -inf become zeros. The
// results depend only on the values of row[0, n) and on n, not on width or
// on where the row lies in memory: the same row gives the same
// probabilities, bit for bit, wherever it is stored.
void softmax_inplace(float* row, long n, long width, float scale = 1.0f);

// Rotary position embedding, rotate-half convention (LLaMA/Qwen2), in place on
// x: (pos, n_heads * d_head). Dimension i < d_head/2 of each head is paired
// with i + d_head/2 and rotated by pos * theta^(-2i/d_head).
void apply_rope_inplace(Mat& x, int n_heads, int d_head, float theta, int first_pos = 0);

}  // namespace strata
