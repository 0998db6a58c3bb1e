// Causal attention's products, one head and one block of queries at a time.
#include "tensor/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/parallel.h"
#include "tensor/matmul.h"

namespace strata {
namespace {

// Queries per block: rows [i0, i0 + kQueryBlock) see keys [0, i0 + kQueryBlock).
// A multiple of the wasm kernel's tile height; small enough that the skipped
// upper triangle is most of what a full product would waste.
constexpr long kQueryBlock = 32;

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
// pool, each head's products then running whole on one thread.
template <class Head>
void for_each_head(long n_heads, double flops, Head head) {
  if (tasks_for(flops) > 1) parallel_for(n_heads, head);
  else
    for (long h = 0; h < n_heads; ++h) head(h);
}

}  // namespace

void causal_attention_scores(const Mat& q, const Mat& k, int n_heads, int n_kv_heads, int d_head, Mat& scores) {
  const long n = q.rows(), group = n_heads / n_kv_heads;
  const long ldq = q.cols(), ldk = k.cols();
  const float scale = 1.0f / std::sqrt(static_cast<float>(d_head));
  const float masked = -std::numeric_limits<float>::infinity();
  scores.resize(n_heads * n, n);
  for_each_head(n_heads, causal_attention_flops(n, n_heads, d_head) / 2, [&](long h) {
    float* s = scores.data() + h * n * n;
    const float* qh = q.data() + h * d_head;
    const float* kh = k.data() + (h / group) * d_head;
    for (long i0 = 0; i0 < n; i0 += kQueryBlock) {
      const long rows = std::min(kQueryBlock, n - i0), keys = i0 + rows;
      matmul_strided(rows, keys, d_head, qh + i0 * ldq, ldq, kh, ldk, true, s + i0 * n, n);
      for (long i = i0; i < i0 + rows; ++i) {
        float* row = s + i * n;
        for (long j = 0; j <= i; ++j) row[j] *= scale;
        std::fill(row + i + 1, row + n, masked);
      }
    }
  });
}

void causal_attention_mix(const Mat& pattern, const Mat& v, int n_heads, int n_kv_heads, int d_head, Mat& z) {
  const long n = pattern.cols(), group = n_heads / n_kv_heads;
  const long ldv = v.cols();
  z.resize(n, static_cast<long>(n_heads) * d_head);
  const long ldz = z.cols();
  for_each_head(n_heads, causal_attention_flops(n, n_heads, d_head) / 2, [&](long h) {
    const float* p = pattern.data() + h * n * n;
    const float* vh = v.data() + (h / group) * d_head;
    for (long i0 = 0; i0 < n; i0 += kQueryBlock) {
      const long rows = std::min(kQueryBlock, n - i0), keys = keys_read(p, n, i0, rows);
      matmul_strided(rows, d_head, keys, p + i0 * n, n, vh, ldv, false, z.data() + i0 * ldz + h * d_head, ldz);
    }
  });
}

double causal_attention_flops(long n, int n_heads, int d_head) {
  double pairs = 0;  // (query, key) pairs the blocks compute
  for (long i0 = 0; i0 < n; i0 += kQueryBlock) pairs += static_cast<double>(std::min(kQueryBlock, n - i0)) * (i0 + std::min(kQueryBlock, n - i0));
  return 2.0 * 2.0 * n_heads * pairs * d_head;  // two products, a multiply and an add each
}

}  // namespace strata
