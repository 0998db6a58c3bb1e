// Data parallelism inside one engine instance: a fixed pool of threads that
// share the tasks of one loop.
//
//   set_thread_count(4);                       // the caller and three helpers
//   parallel_for(n_heads, [&](long h) { ... });  // returns when every task is done
//
// The thread count starts at 1, which runs every loop on the caller, in order.
// Builds without threads (the page's single-threaded wasm module) accept any
// count and stay at 1. Each task must write only its own outputs: the kernels
// split a product by output columns and attention by head, so a result is bit
// for bit the same at every thread count.
//
// The caller takes tasks too, and waits only for tasks a helper has started.
// So a loop finishes even when a helper never starts: in the browser a new
// thread cannot start while the thread that asked for it is blocked, and the
// pool must not depend on it.
#pragma once

#include <functional>

namespace strata {

// Threads that parallel_for may use, the caller included; clamped to
// [1, max_thread_count()]. Starting or stopping helpers happens here, never
// inside a loop.
void set_thread_count(int threads);
int thread_count();
// 1 in builds without threads.
int max_thread_count();

// Runs task(0) .. task(n - 1), each once, spread over the pool. A task that
// throws does not stop the others: the first exception is rethrown once every
// task has run.
void parallel_for(long n, const std::function<void(long)>& task);

// The number of tasks worth splitting `work` (in floating-point operations)
// into: 1 when the work is too small to repay waking the helpers, and at most
// thread_count().
long tasks_for(double work);

}  // namespace strata
