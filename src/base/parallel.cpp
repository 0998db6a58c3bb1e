#include "base/parallel.h"

#include <algorithm>
#include <exception>

#ifdef STRATA_THREADS
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace strata {
namespace {

// Below this much work a loop runs on the caller: waking a helper and waiting
// for it costs tens of microseconds, the time of about a megaflop.
constexpr double kMinWorkPerTask = 1 << 20;

void run_serially(long n, const std::function<void(long)>& task) {
  std::exception_ptr error;
  for (long i = 0; i < n; ++i) {
    try {
      task(i);
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

#ifdef STRATA_THREADS
// A loop started inside a task runs serially on that task's thread: the pool
// serves one loop at a time.
thread_local bool inside_loop = false;
struct InsideLoop {
  InsideLoop() { inside_loop = true; }
  ~InsideLoop() { inside_loop = false; }
};

// Upper bound on the pool: 16 natively (more threads than cores only share
// them). In the browser, the machine's cores, at most 8: the helpers are the
// workers the module started with (one per core beside the engine's thread,
// at most 7: bindings/CMakeLists.txt); a thread beyond them could not start
// while the engine's thread waits.
int max_threads() {
#ifdef __EMSCRIPTEN__
  return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 2, 8);  // navigator.hardwareConcurrency
#else
  return 16;
#endif
}

class Pool {
 public:
  ~Pool() { resize(1); }

  int size() const { return static_cast<int>(helpers_.size()) + 1; }

  void resize(int threads) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : helpers_) t.join();
    helpers_.clear();
    stopping_ = false;
    for (int i = 1; i < threads; ++i) helpers_.emplace_back([this] { serve(); });
  }

  void run(long n, const std::function<void(long)>& task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      count_ = n;
      next_.store(0);
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    take_tasks(task, n);
    std::unique_lock<std::mutex> lock(mutex_);
    task_ = nullptr;  // a helper that wakes from now on finds nothing to do
    done_.wait(lock, [this] { return working_ == 0; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void serve() {
    unsigned long seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      if (task_ == nullptr) continue;
      const auto* task = task_;
      const long count = count_;
      ++working_;
      lock.unlock();
      take_tasks(*task, count);
      lock.lock();
      if (--working_ == 0) done_.notify_all();
    }
  }

  // Runs tasks of the current loop until none is left. The caller starts the
  // next loop only after every helper that entered this one has left.
  void take_tasks(const std::function<void(long)>& task, long count) {
    const InsideLoop inside;
    for (long i; (i = next_.fetch_add(1)) < count;) {
      try {
        task(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(long)>* task_ = nullptr;
  long count_ = 0;
  std::atomic<long> next_{0};
  unsigned long generation_ = 0;
  int working_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool instance;
  return instance;
}
#endif  // STRATA_THREADS

}  // namespace

int max_thread_count() {
#ifdef STRATA_THREADS
  return max_threads();
#else
  return 1;
#endif
}

void set_thread_count(int threads) {
#ifdef STRATA_THREADS
  threads = std::clamp(threads, 1, max_threads());
  if (threads != pool().size()) pool().resize(threads);
#else
  (void)threads;
#endif
}

int thread_count() {
#ifdef STRATA_THREADS
  return pool().size();
#else
  return 1;
#endif
}

void parallel_for(long n, const std::function<void(long)>& task) {
#ifdef STRATA_THREADS
  if (n > 1 && !inside_loop && pool().size() > 1) {
    pool().run(n, task);
    return;
  }
#endif
  run_serially(n, task);
}

long tasks_for(double work) {
#ifdef STRATA_THREADS
  if (inside_loop) return 1;
#endif
  const long by_work = static_cast<long>(work / kMinWorkPerTask);
  return std::clamp<long>(by_work, 1, thread_count());
}

}  // namespace strata
