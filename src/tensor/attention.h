// The two products of causal self-attention, per head, on the layouts of the
// forward pass:
//   q: (n, n_heads * d_head), k and v: (n, n_kv_heads * d_head), head h reads
//      kv head h / (n_heads / n_kv_heads) (grouped-query attention);
//   scores and pattern: (n_heads * n, n), head h in rows [h*n, (h+1)*n),
//      [head, query, key];
//   z: (n, n_heads * d_head).
// Both go through matmul_strided() on each head's columns in place (no
// copies), and skip the keys after each block of queries: a causal pattern is
// zero there, so about half of each product is never computed.
#pragma once

#include "tensor/tensor.h"

namespace strata {

// scores = q k^T / sqrt(d_head) per head, -inf above the diagonal. Resized.
void causal_attention_scores(const Mat& q, const Mat& k, int n_heads, int n_kv_heads, int d_head, Mat& scores);

// z = pattern v per head. Keys after a block of queries are read only where
// the pattern has weight on them (never, unless an intervention put it there). Resized.
void causal_attention_mix(const Mat& pattern, const Mat& v, int n_heads, int n_kv_heads, int d_head, Mat& z);

// The flops both products perform for n positions (a multiply and an add per
// multiply-add, the blocks' skipped keys not counted), as the benchmarks count them.
double causal_attention_flops(long n, int n_heads, int d_head);

}  // namespace strata
