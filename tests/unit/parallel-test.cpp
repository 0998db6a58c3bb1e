// The thread pool (base/parallel.h) and the products split over it: every
// task runs once, errors reach the caller, nested loops run, and products and
// attention give the same numbers at every thread count. Builds without threads
// (the wasm tests) check that the pool stays at one thread.
#include <catch2/catch.hpp>
#include <atomic>
#include <random>
#include <stdexcept>
#include <vector>

#include "base/parallel.h"
#include "tensor/attention.h"
#include "random-matrix.h"
#include "tensor/matmul.h"

using strata::Mat;

namespace {

// Sets the pool's size for one test and puts it back to one thread.
struct Threads {
  explicit Threads(int n) { strata::set_thread_count(n); }
  ~Threads() { strata::set_thread_count(1); }
};

int most_threads() { return std::min(4, strata::max_thread_count()); }

}  // namespace

TEST_CASE("the pool's size is clamped to what the build allows", "[parallel]") {
  Threads threads(1000);
  CHECK(strata::thread_count() == strata::max_thread_count());
  strata::set_thread_count(0);
  CHECK(strata::thread_count() == 1);
#ifndef STRATA_THREADS
  CHECK(strata::max_thread_count() == 1);
#endif
}

TEST_CASE("parallel_for runs every task once, at every thread count", "[parallel]") {
  for (int n_threads = 1; n_threads <= most_threads(); ++n_threads) {
    Threads threads(n_threads);
    for (long n : {0L, 1L, 3L, 1000L}) {
      std::vector<std::atomic<int>> runs(n);
      strata::parallel_for(n, [&](long i) { runs[i].fetch_add(1); });
      for (long i = 0; i < n; ++i) REQUIRE(runs[i].load() == 1);
    }
  }
}

TEST_CASE("a task's exception reaches the caller after the loop", "[parallel]") {
  Threads threads(most_threads());
  std::atomic<long> ran{0};
  CHECK_THROWS_WITH(strata::parallel_for(64,
                                         [&](long i) {
                                           ran.fetch_add(1);
                                           if (i == 7) throw std::runtime_error("task 7 failed");
                                         }),
                    "task 7 failed");
  CHECK(ran.load() == 64);  // the other tasks still ran
  // The pool serves the next loop.
  std::atomic<long> sum{0};
  strata::parallel_for(10, [&](long i) { sum.fetch_add(i); });
  CHECK(sum.load() == 45);
}

TEST_CASE("a loop inside a task runs on that task's thread", "[parallel]") {
  Threads threads(most_threads());
  std::atomic<long> inner{0};
  strata::parallel_for(8, [&](long) {
    CHECK(strata::tasks_for(1e12) == 1);
    strata::parallel_for(5, [&](long) { inner.fetch_add(1); });
  });
  CHECK(inner.load() == 40);
}

TEST_CASE("tasks_for splits only work that repays it", "[parallel]") {
  Threads threads(most_threads());
  CHECK(strata::tasks_for(1000) == 1);
  CHECK(strata::tasks_for(1e12) == strata::thread_count());
}

TEST_CASE("products and attention give the same numbers at every thread count", "[parallel]") {
  std::mt19937 rng(5);
  const Mat A = random_matrix(64, 300, rng), B = random_matrix(300, 517, rng), Bt = random_matrix(517, 300, rng);
  const Mat q = random_matrix(256, 4 * 32, rng), k = random_matrix(256, 4 * 32, rng);
  Mat c1, ct1, s1, z1;
  strata::matmul(A, B, c1);
  strata::matmul_transposed(A, Bt, ct1);
  strata::causal_attention_scores(q, k, 4, 4, 32, s1);
  Mat p = s1.array().exp().matrix();  // any pattern with zeros above the diagonal
  strata::causal_attention_mix(p, k, 4, 4, 32, z1);
  for (int n_threads = 2; n_threads <= most_threads(); ++n_threads) {
    Threads threads(n_threads);
    Mat c, ct, s, z;
    strata::matmul(A, B, c);
    strata::matmul_transposed(A, Bt, ct);
    strata::causal_attention_scores(q, k, 4, 4, 32, s);
    strata::causal_attention_mix(p, k, 4, 4, 32, z);
    CHECK((c - c1).cwiseAbs().maxCoeff() <= 1e-5f);
    CHECK((ct - ct1).cwiseAbs().maxCoeff() <= 1e-5f);
    CHECK(s == s1);  // -inf above the diagonal compares equal; each head runs whole on one thread
    CHECK((z - z1).cwiseAbs().maxCoeff() <= 1e-5f);
  }
}
