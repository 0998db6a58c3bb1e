// Throughput of matmul() on a 256 x 256 x 256 f32 product, against the
// multiply-add peak of one core measured by a loop of independent 4-lane
// multiply and add chains (no FMA: wasm SIMD has none, and the native build
// targets baseline x86-64). Prints GFLOP/s as the median of repeated runs
// after a warm-up, and the best run; on a shared machine the best run is the
// steadier figure. Also prints Eigen's own product for comparison, which in
// the wasm build is Eigen's SSE path translated to wasm SIMD, and causal
// attention (scores, softmax, pattern times values) at GPT-2 small's head
// shape, both as the forward pass runs it: fused, when no hook needs the
// scores or changes the pattern, and otherwise in three passes over the whole
// scores. Attention's flops are its two products'; the softmax counts none.
// With --json, prints one JSON object instead (scripts/bench.sh).
//
// Every timed function is a separate non-inlined call: V8 runs a wasm
// function first in its baseline tier and switches to optimized code only on
// a later call, so a loop that never returns would be measured unoptimized.
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tensor/attention.h"
#include "tensor/matmul.h"

using strata::Mat;

namespace {

using Clock = std::chrono::steady_clock;

struct Fixture {
  Mat A, B, Bt, C;
};

struct Rate {
  double median, best;  // GFLOP/s
};

// Warms up for at least `warmup_seconds`, then times `runs` calls.
template <class F>
Rate measure(F&& call, double flops_per_call, int runs = 41, double warmup_seconds = 0.5) {
  const auto warmup_end = Clock::now() + std::chrono::duration<double>(warmup_seconds);
  while (Clock::now() < warmup_end) call();
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    call();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return {flops_per_call / seconds[seconds.size() / 2] / 1e9, flops_per_call / seconds.front() / 1e9};
}

__attribute__((noinline)) void run_matmul(Fixture& f) { strata::matmul(f.A, f.B, f.C); }
__attribute__((noinline)) void run_matmul_transposed(Fixture& f) { strata::matmul_transposed(f.A, f.Bt, f.C); }
__attribute__((noinline)) void run_eigen(Fixture& f) { f.C.noalias() = f.A * f.B; }

// Causal attention of n positions, n_heads heads of d_head, as the forward
// pass runs it: fused, or in three passes when a hook needs the scores.
struct AttentionFixture {
  int n_heads, d_head;
  Mat q, k, v, scores, z;
};
__attribute__((noinline)) void run_attention(AttentionFixture& a) {
  strata::causal_attention(a.q, a.k, a.v, a.n_heads, a.n_heads, a.d_head, a.z, nullptr);
}
__attribute__((noinline)) void run_hooked_attention(AttentionFixture& a) {
  strata::causal_attention_scores(a.q, a.k, a.n_heads, a.n_heads, a.d_head, a.scores);
  strata::causal_softmax_inplace(a.scores);
  strata::causal_attention_mix(a.scores, a.v, a.n_heads, a.n_heads, a.d_head, a.z);
}

// --- peak multiply-add throughput ------------------------------------------
typedef float Vec4 __attribute__((vector_size(16)));
constexpr long kPeakIterations = 50000;
constexpr double kPeakFlops = 2.0 * 6 * 4 * kPeakIterations;  // 6 muls + 6 adds of 4 lanes
volatile float g_sink;

// Six multiply chains and six add chains, interleaved: enough independent
// work to cover both latencies, few enough values (14) to stay in registers.
__attribute__((noinline)) void run_peak(float factor, float step) {
  const Vec4 f = {factor, factor, factor, factor}, s = {step, step, step, step};
  Vec4 m0 = f, m1 = f * 2, m2 = f * 3, m3 = f * 4, m4 = f * 5, m5 = f * 6;
  Vec4 a0 = s, a1 = s * 2, a2 = s * 3, a3 = s * 4, a4 = s * 5, a5 = s * 6;
  for (long i = 0; i < kPeakIterations; ++i) {
    m0 = m0 * f; a0 = a0 + s; m1 = m1 * f; a1 = a1 + s; m2 = m2 * f; a2 = a2 + s;
    m3 = m3 * f; a3 = a3 + s; m4 = m4 * f; a4 = a4 + s; m5 = m5 * f; a5 = a5 + s;
  }
  const Vec4 sum = m0 + m1 + m2 + m3 + m4 + m5 + a0 + a1 + a2 + a3 + a4 + a5;
  g_sink = sum[0] + sum[1] + sum[2] + sum[3];
}

// The same peak as multiply-add chains: twelve independent accumulators, each
// step a multiply and a dependent add (acc = acc * f + s; wasm SIMD has no
// fused multiply-add), fourteen values in registers.
constexpr double kMaddFlops = 2.0 * 12 * 4 * kPeakIterations;
__attribute__((noinline)) void run_peak_madd(float factor, float step) {
  const Vec4 f = {factor, factor, factor, factor}, s = {step, step, step, step};
  Vec4 c0 = s, c1 = s * 2, c2 = s * 3, c3 = s * 4, c4 = s * 5, c5 = s * 6;
  Vec4 c6 = s * 7, c7 = s * 8, c8 = s * 9, c9 = s * 10, c10 = s * 11, c11 = s * 12;
  for (long i = 0; i < kPeakIterations; ++i) {
    c0 = c0 * f + s; c1 = c1 * f + s; c2 = c2 * f + s; c3 = c3 * f + s; c4 = c4 * f + s; c5 = c5 * f + s;
    c6 = c6 * f + s; c7 = c7 * f + s; c8 = c8 * f + s; c9 = c9 * f + s; c10 = c10 * f + s; c11 = c11 * f + s;
  }
  const Vec4 sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
  g_sink = sum[0] + sum[1] + sum[2] + sum[3];
}

void print(const char* what, Rate r, Rate peak) {
  std::printf("%-34s %6.1f GFLOP/s median %6.1f best   (%3.0f%% / %3.0f%% of peak)\n", what, r.median,
              r.best, 100 * r.median / peak.median, 100 * r.best / peak.best);
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = argc > 1 && std::string(argv[1]) == "--json";
  const long n = 256;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  auto random = [&](long rows, long cols) { return Mat(Mat::NullaryExpr(rows, cols, [&] { return dist(rng); })); };
  Fixture f;
  f.A = random(n, n);
  f.B = random(n, n);
  f.Bt = f.B.transpose();
  const double flops = 2.0 * n * n * n;
  AttentionFixture att{12, 64};
  const long n_att = 256;
  att.q = random(n_att, att.n_heads * att.d_head);
  att.k = random(n_att, att.n_heads * att.d_head);
  att.v = random(n_att, att.n_heads * att.d_head);
  const double attention_flops = strata::causal_attention_flops(n_att, att.n_heads, att.d_head);

#ifdef __EMSCRIPTEN__
  const char* build = "wasm";
#else
  const char* build = "native";
#endif
  // A factor just above 1 neither overflows nor reaches denormals in 50000 steps.
  const volatile float factor = 1.0000001f, step = 1e-7f;
  // The peak is the faster of the two loops, so that kernels are held to the higher bar.
  const Rate chains = measure([&] { run_peak(factor, step); }, kPeakFlops);
  const Rate madd = measure([&] { run_peak_madd(factor, step); }, kMaddFlops);
  const Rate peak = chains.median >= madd.median ? chains : madd;
  const std::pair<const char*, Rate> kernels[] = {
      {"matmul", measure([&] { run_matmul(f); }, flops)},
      {"matmul_transposed", measure([&] { run_matmul_transposed(f); }, flops)},
      {"Eigen product (A * B)", measure([&] { run_eigen(f); }, flops)},
      {"causal attention 256 pos, 12x64", measure([&] { run_attention(att); }, attention_flops)},
      {"causal attention hooked, 3 passes", measure([&] { run_hooked_attention(att); }, attention_flops)},
  };
  if (json) {
    std::printf("{\"build\": \"%s\", \"peak_chains\": %.3f, \"peak_madd\": %.3f, \"peak\": {\"median\": %.3f, \"best\": %.3f}, \"matmul\": {\"median\": %.3f, \"best\": %.3f}, \"kernels\": [",
                build, chains.median, madd.median, peak.median, peak.best, kernels[0].second.median, kernels[0].second.best);
    for (size_t i = 0; i < std::size(kernels); ++i)
      std::printf("%s{\"name\": \"%s\", \"median\": %.3f, \"best\": %.3f}", i ? ", " : "", kernels[i].first,
                  kernels[i].second.median, kernels[i].second.best);
    std::printf("]}\n");
    return 0;
  }
  std::printf("%s build, one thread, f32, %ldx%ldx%ld\n", build, n, n, n);
  std::printf("%-34s %6.1f GFLOP/s median %6.1f best\n", "peak: f32x4 mul + add chains", chains.median, chains.best);
  std::printf("%-34s %6.1f GFLOP/s median %6.1f best\n", "peak: f32x4 acc = acc * f + s, 12 acc", madd.median, madd.best);
  for (const auto& [name, rate] : kernels) print(name, rate, peak);
  return 0;
}
