// Throughput of matmul() on a 256 x 256 x 256 f32 product, against the
// multiply-add peak of one core measured by a loop of independent 4-lane
// multiply and add chains (no FMA: wasm SIMD has none, and the native build
// targets baseline x86-64). Prints GFLOP/s as the median of repeated runs
// after a warm-up, and the best run; on a shared machine the best run is the
// steadier figure. Also prints Eigen's own product for comparison, which in
// the wasm build is Eigen's SSE path translated to wasm SIMD.
//
// Every timed function is a separate non-inlined call: V8 runs a wasm
// function first in its baseline tier and switches to optimized code only on
// a later call, so a loop that never returns would be measured unoptimized.
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

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

void print(const char* what, Rate r, Rate peak) {
  std::printf("%-34s %6.1f GFLOP/s median %6.1f best   (%3.0f%% / %3.0f%% of peak)\n", what, r.median,
              r.best, 100 * r.median / peak.median, 100 * r.best / peak.best);
}

}  // namespace

int main() {
  const long n = 256;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  Fixture f;
  f.A = Mat::NullaryExpr(n, n, [&] { return dist(rng); });
  f.B = Mat::NullaryExpr(n, n, [&] { return dist(rng); });
  f.Bt = f.B.transpose();
  const double flops = 2.0 * n * n * n;

#ifdef __EMSCRIPTEN__
  const char* build = "wasm";
#else
  const char* build = "native";
#endif
  // A factor just above 1 neither overflows nor reaches denormals in 50000 steps.
  const volatile float factor = 1.0000001f, step = 1e-7f;
  const Rate peak = measure([&] { run_peak(factor, step); }, kPeakFlops);
  std::printf("%s build, one thread, f32, %ldx%ldx%ld\n", build, n, n, n);
  std::printf("%-34s %6.1f GFLOP/s median %6.1f best\n", "peak (f32x4 mul + add chains)", peak.median,
              peak.best);
  print("matmul", measure([&] { run_matmul(f); }, flops), peak);
  print("matmul_transposed", measure([&] { run_matmul_transposed(f); }, flops), peak);
  print("Eigen product (A * B)", measure([&] { run_eigen(f); }, flops), peak);
  return 0;
}
