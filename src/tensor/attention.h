// Causal self-attention per head, on the layouts of the forward pass:
//   q: (n, n_heads * d_head), k and v: (n, n_kv_heads * d_head), head h reads
//      kv head h / (n_heads / n_kv_heads) (grouped-query attention);
//   scores and pattern: (n_heads * n, n), head h in rows [h*n, (h+1)*n),
//      [head, query, key];
//   z: (n, n_heads * d_head).
// Heads are shared over the thread pool, each running whole on one thread a
// block of queries at a time, with its keys and values packed once for all
// blocks. A block skips the keys after its last query (a causal pattern is
// zero there), so about half of each product is never computed.
//
// causal_attention() fuses scores, softmax and values block by block, and
// never holds more of the scores than one block. The forward pass runs the
// three steps apart only when a hook must see the scores or change the
// pattern between them. Unless a hook changed something, both ways give the
// same pattern and z bit for bit: the same products and the same softmax of
// each row.
#pragma once

#include "tensor/tensor.h"

namespace strata {

// z = softmax(q k^T / sqrt(d_head), causal) v per head. Resized. When pattern
// is not null it receives the softmax (zeros above the diagonal), resized.
void causal_attention(const Mat& q, const Mat& k, const Mat& v, int n_heads, int n_kv_heads, int d_head, Mat& z,
                      Mat* pattern);

// scores = q k^T / sqrt(d_head) per head, -inf above the diagonal. Resized.
void causal_attention_scores(const Mat& q, const Mat& k, int n_heads, int n_kv_heads, int d_head, Mat& scores);

// Scores into the pattern, in place: each row's softmax over its keys up to
// the last one not masked (-inf), zeros after. That is the causal keys, or
// more where an intervention gave a future key a score.
void causal_softmax_inplace(Mat& scores);

// z = pattern v per head. Keys after a block of queries are read only where
// the pattern has weight on them (never, unless an intervention put it there). Resized.
void causal_attention_mix(const Mat& pattern, const Mat& v, int n_heads, int n_kv_heads, int d_head, Mat& z);

// The flops both products perform for n positions (a multiply and an add per
// multiply-add, the blocks' skipped keys not counted), as the benchmarks count them.
double causal_attention_flops(long n, int n_heads, int d_head);

}  // namespace strata
