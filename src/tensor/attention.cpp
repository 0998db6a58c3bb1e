// Causal attention, one head and one block of queries at a time.
#include "tensor/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/parallel.h"
#include "tensor/matmul.h"
#include "tensor/ops.h"

namespace strata {
namespace {

// Queries per block: rows [i0, i0 + kQueryBlock) see keys [0, i0 + kQueryBlock).
// A multiple of the wasm kernel's tile height; small enough that the skipped
// upper triangle is most of what a full product would waste, and that a
// block's scores stay in the first-level cache.
constexpr long kQueryBlock = 32;

constexpr float kMaskedScore = -std::numeric_limits<float>::infinity();

// About the flops of one entry's softmax (its exponential, share of the max
// and the sum, division), to decide whether a softmax is worth splitting.
constexpr double kSoftmaxFlopsPerEntry = 30;

float score_scale(int d_head) { return 1.0f / std::sqrt(static_cast<float>(d_head)); }

// The keys that rows [i0, i0 + rows) of one head's pattern must read: up to
// the block's last diagonal entry, or further where an intervention wrote
// weight on a future key (the product then stays exact for any pattern).
long keys_read(const float* pattern, long n, long i0, long rows) {
  long keys = i0 + rows;
  for (long i = i0; i < i0 + rows; ++i)
    for (long j = n - 1; j >= keys; --j)
      if (pattern[i * n + j] != 0.f) {
        keys = j + 1;
        break;
      }
  return keys;
}

// Heads are independent: with enough work they are shared over the thread
// pool, each head then running whole on one thread.
template <class Head>
void for_each_head(long n_heads, double flops, Head head) {
  if (tasks_for(flops) > 1) parallel_for(n_heads, head);
  else
    for (long h = 0; h < n_heads; ++h) head(h);
}

// One kv head's keys as op(B) = K^T (d_head, n) and its values as op(B) = V
// (n, d_head), packed for every block of queries of every head that reads
// them. One of each per thread, repacked for each head.
const PackedB& packed_keys(const Mat& k, long kv_head, int d_head) {
  thread_local PackedB keys;
  keys.pack(d_head, k.rows(), k.data() + kv_head * d_head, k.cols(), true);
  return keys;
}

const PackedB& packed_values(const Mat& v, long kv_head, int d_head) {
  thread_local PackedB values;
  values.pack(v.rows(), d_head, v.data() + kv_head * d_head, v.cols(), false);
  return values;
}

}  // namespace

void causal_attention(const Mat& q, const Mat& k, const Mat& v, int n_heads, int n_kv_heads, int d_head, Mat& z,
                      Mat* pattern) {
  const long n = q.rows(), group = n_heads / n_kv_heads, ldq = q.cols();
  const float scale = score_scale(d_head);
  z.resize(n, static_cast<long>(n_heads) * d_head);
  if (pattern) pattern->resize(n_heads * n, n);
  const long ldz = z.cols();
  for_each_head(n_heads, causal_attention_flops(n, n_heads, d_head), [&](long h) {
    const PackedB& keys_t = packed_keys(k, h / group, d_head);
    const PackedB& values = packed_values(v, h / group, d_head);
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(kQueryBlock * n));
    for (long i0 = 0; i0 < n; i0 += kQueryBlock) {
      const long rows = std::min(kQueryBlock, n - i0), keys = i0 + rows;
      // The block's scores go straight to the pattern when it is wanted, and
      // otherwise to a scratch block that stays in cache.
      float* s = pattern ? pattern->data() + (h * n + i0) * n : scratch.data();
      const long lds = pattern ? n : keys;
      keys_t.multiply(rows, keys, d_head, q.data() + i0 * ldq + h * d_head, ldq, s, lds);
      for (long r = 0; r < rows; ++r) softmax_inplace(s + r * lds, i0 + r + 1, lds, scale);
      values.multiply(rows, d_head, keys, s, lds, z.data() + i0 * ldz + h * d_head, ldz);
    }
  });
}

void causal_attention_scores(const Mat& q, const Mat& k, int n_heads, int n_kv_heads, int d_head, Mat& scores) {
  const long n = q.rows(), group = n_heads / n_kv_heads, ldq = q.cols();
  const float scale = score_scale(d_head);
  scores.resize(n_heads * n, n);
  for_each_head(n_heads, causal_attention_flops(n, n_heads, d_head) / 2, [&](long h) {
    const PackedB& keys_t = packed_keys(k, h / group, d_head);
    float* s = scores.data() + h * n * n;
    for (long i0 = 0; i0 < n; i0 += kQueryBlock) {
      const long rows = std::min(kQueryBlock, n - i0), keys = i0 + rows;
      keys_t.multiply(rows, keys, d_head, q.data() + i0 * ldq + h * d_head, ldq, s + i0 * n, n);
      for (long i = i0; i < i0 + rows; ++i) {
        float* row = s + i * n;
        for (long j = 0; j <= i; ++j) row[j] *= scale;
        std::fill(row + i + 1, row + n, kMaskedScore);
      }
    }
  });
}

void causal_softmax_inplace(Mat& scores) {
  const long n = scores.cols(), n_heads = n > 0 ? scores.rows() / n : 0;
  for_each_head(n_heads, kSoftmaxFlopsPerEntry * n_heads * n * (n + 1) / 2, [&](long h) {
    for (long i = 0; i < n; ++i) {
      float* row = scores.data() + (h * n + i) * n;
      long keys = n;
      while (keys > 0 && row[keys - 1] == kMaskedScore) --keys;
      softmax_inplace(row, keys, n);  // already scaled
    }
  });
}

void causal_attention_mix(const Mat& pattern, const Mat& v, int n_heads, int n_kv_heads, int d_head, Mat& z) {
  const long n = pattern.cols(), group = n_heads / n_kv_heads;
  z.resize(n, static_cast<long>(n_heads) * d_head);
  const long ldz = z.cols();
  for_each_head(n_heads, causal_attention_flops(n, n_heads, d_head) / 2, [&](long h) {
    const PackedB& values = packed_values(v, h / group, d_head);
    const float* p = pattern.data() + h * n * n;
    for (long i0 = 0; i0 < n; i0 += kQueryBlock) {
      const long rows = std::min(kQueryBlock, n - i0), keys = keys_read(p, n, i0, rows);
      values.multiply(rows, d_head, keys, p + i0 * n, n, z.data() + i0 * ldz + h * d_head, ldz);
    }
  });
}

double causal_attention_flops(long n, int n_heads, int d_head) {
  double pairs = 0;  // (query, key) pairs the blocks compute
  for (long i0 = 0; i0 < n; i0 += kQueryBlock) pairs += static_cast<double>(std::min(kQueryBlock, n - i0)) * (i0 + std::min(kQueryBlock, n - i0));
  return 2.0 * 2.0 * n_heads * pairs * d_head;  // two products, a multiply and an add each
}

}  // namespace strata
