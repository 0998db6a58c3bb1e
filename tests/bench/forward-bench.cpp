// Forward passes and activation-patching sweeps of the engine, timed through
// the C++ API, natively and (built for node) in wasm. scripts/bench.sh runs it
// once per configuration, so that each process's peak memory belongs to one
// measurement. Every command prints one JSON object on stdout.
//
//   bench-forward forward --model DIR [--tokens N] [--capture none|matched|all] [--repeats R] [--threads T]
//       median and best time of run() on the suite's first prompt (or N
//       pseudo-random tokens); "matched" captures what the ONNX exports return
//       (every attention pattern and the L+1 hidden states). --threads T splits
//       the products over T threads (base/parallel.h; builds without threads
//       stay at one, and the output says how many ran).
//   bench-forward sweep --model DIR [--items-per-kind K | --tokens N] [--reuse 0|1] [--positions-per-layer K]
//       residual-stream activation patching (denoising): for every clean /
//       corrupt pair, every boundary b (blocks.b.hook_resid_pre, and the last
//       block's hook_resid_post) and position p, run the corrupt prompt with
//       the residual stream at (b, p) taken from the clean run, and read the
//       normalised recovery of LD = logit(answer) - logit(corrupt answer) at
//       the last position. --reuse 1 resumes each patched run at boundary b
//       from the corrupt run's cached residual stream (run()'s start_layer),
//       --reuse 0 runs the whole model with a patch intervention, one forward
//       per patch as TransformerLens does. Pairs: the suite's items as the
//       sweeps select them (items_per_kind of every non-optional kind), or
//       with --tokens one pair of N pseudo-random ids. --positions-per-layer K
//       patches only K evenly spaced positions per boundary and scales the
//       time to every position ("estimated": a patch costs the same at every
//       position of a boundary).
//   bench-forward analyze --model DIR [--items-per-kind K] [--reuse 0|1]
//       the same sweep through the patching analysis (levels ["resid"]), as
//       `strata analyze` and the page's workers run it.
//   bench-forward pairs --model DIR [--items-per-kind K]
//       the token ids of the sweep's pairs and their answer ids (the PyTorch
//       reference reads them, so both sides run identical inputs).
//
// Peak memory: the wasm heap's size (it only grows), natively the resident
// set's maximum.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/sweeps/patching.h"
#include "analysis/sweeps/sweep.h"
#include "base/error.h"
#include "base/parallel.h"
#include "io/files.h"
#include "io/suite.h"
#include "model/forward.h"
#include "model/model.h"
#include "model/session.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/heap.h>
#endif

using nlohmann::json;
using namespace strata;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of this process, natively: on a machine shared with other jobs it
// leaves out the time spent waiting for a core. Not available in wasm (-1).
double cpu_seconds() {
#ifdef __EMSCRIPTEN__
  return -1;
#else
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
#endif
}

uint64_t peak_memory_bytes() {
#ifdef __EMSCRIPTEN__
  return emscripten_get_heap_size();
#else
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
#endif
}

struct Args {
  std::map<std::string, std::string> values;
  std::string get(const std::string& key, const std::string& fallback = "") const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
  int get_int(const std::string& key, int fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : std::stoi(it->second);
  }
};

// A clean / corrupt prompt pair of equal length and the two answers' ids.
struct Pair {
  std::vector<int32_t> clean, corrupt;
  int32_t answer = 0, corrupt_answer = 0;
};

uint32_t next_random(uint32_t& state) {
  state = state * 1664525u + 1013904223u;
  return state >> 8;
}

Suite read_suite(const std::string& dir) {
  return parse_suite(read_file_text(join_path(dir, "suite.json")), join_path(dir, "suite.json"));
}

// The items the patching sweep selects with seed 0: `per_kind` of every
// non-optional kind, in their split (analysis/shared/item-selection.h).
std::vector<Pair> suite_pairs(const Session& session, const std::string& dir, int per_kind) {
  ItemSelection selection;
  selection.items_per_kind = per_kind;
  const ItemSet items = select_items(session, read_suite(dir), selection, 0, "bench");
  std::vector<Pair> pairs;
  for (const SweepItem& it : items.items) pairs.push_back({it.tokens, it.corrupt_tokens, it.answer, it.corrupt_answer});
  return pairs;
}

// n_pairs pairs of n_tokens pseudo-random ids; the corrupt prompt differs in
// two positions (models without a suite: the random checkpoints).
std::vector<Pair> random_pairs(const Model& model, int n_tokens, int n_pairs) {
  uint32_t state = 2026;
  const int vocab = static_cast<int>(model.config.d_vocab);
  std::vector<Pair> pairs(n_pairs);
  for (Pair& p : pairs) {
    for (int i = 0; i < n_tokens; ++i) p.clean.push_back(static_cast<int32_t>(next_random(state) % vocab));
    p.corrupt = p.clean;
    for (int k = 0; k < 2; ++k) p.corrupt[next_random(state) % n_tokens] = static_cast<int32_t>(next_random(state) % vocab);
    p.answer = static_cast<int32_t>(next_random(state) % vocab);
    p.corrupt_answer = static_cast<int32_t>((p.answer + 1) % vocab);
  }
  return pairs;
}

std::vector<Pair> pairs_for(const Session& session, const Args& args) {
  const int tokens = args.get_int("tokens", 0);
  if (tokens > 0) return random_pairs(session.model(), tokens, 1);
  return suite_pairs(session, args.get("model"), args.get_int("items-per-kind", 2));
}

RunOptions capture_options(const ModelConfig& c, const std::string& capture) {
  RunOptions options;
  if (capture == "all") {
    options.capture_all = true;
  } else if (capture == "matched") {
    for (int l = 0; l < c.n_layers; ++l) {
      options.capture.push_back({HookKind::Pattern, l});
      options.capture.push_back({HookKind::ResidPre, l});
    }
    options.capture.push_back({HookKind::ResidPost, static_cast<int>(c.n_layers) - 1});
  } else if (capture != "none") {
    fail_expected("--capture", "none, matched or all", capture);
  }
  return options;
}

json forward_command(const Args& args) {
  const Session session(load_model_dir(args.get("model")));
  const Model& model = session.model();
  const std::vector<int32_t> tokens = pairs_for(session, args).front().clean;
  const RunOptions options = capture_options(model.config, args.get("capture", "none"));
  const int repeats = args.get_int("repeats", 21);
  strata::set_thread_count(args.get_int("threads", 1));
  const auto warmup_end = Clock::now() + std::chrono::milliseconds(args.get_int("warmup-ms", 300));
  int warmups = 0;
  do {
    run(model, tokens, options);
    ++warmups;
  } while (Clock::now() < warmup_end || warmups < 2);
  std::vector<double> times, cpu_times;
  size_t captured = 0;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    const RunResult r = run(model, tokens, options);
    cpu_times.push_back(cpu_seconds() - cpu_start);
    times.push_back(seconds_since(start));
    captured = r.cache.tensors.size();
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  return {{"command", "forward"}, {"tokens", tokens.size()}, {"capture", args.get("capture", "none")}, {"threads", strata::thread_count()},
          {"hooks_captured", captured}, {"repeats", repeats}, {"median_ms", 1e3 * times[times.size() / 2]},
          {"best_ms", 1e3 * times.front()}, {"cpu_median_ms", cpu_seconds() < 0 ? json() : json(1e3 * cpu_times[cpu_times.size() / 2])},
          {"peak_bytes", peak_memory_bytes()}};
}

float logit_difference(const Mat& logits, const Pair& p) {
  const auto last = logits.row(logits.rows() - 1);
  return last(p.answer) - last(p.corrupt_answer);
}

// Boundary b < n_layers is blocks.b.hook_resid_pre, boundary n_layers the last block's hook_resid_post.
HookId boundary(const ModelConfig& c, int b) {
  return b < c.n_layers ? HookId{HookKind::ResidPre, b} : HookId{HookKind::ResidPost, static_cast<int>(c.n_layers) - 1};
}

// One patched run: the corrupt prompt with the residual stream at (b, pos) from the clean run.
float patched_difference(const Model& model, const Pair& p, const ActivationCache& clean,
                         const ActivationCache& corrupt, int b, int pos, bool reuse) {
  const HookId hook = boundary(model.config, b);
  const Tensor& clean_resid = clean.at(hook);
  const int64_t d = model.config.d_model;
  // run() resumes from a residual stream only when start_layer > 0; boundary 0
  // is patched by an intervention (a whole run either way).
  if (reuse && b > 0) {
    const Tensor& start = corrupt.at(hook);
    Mat resid = Eigen::Map<const Mat>(start.data.data(), static_cast<Eigen::Index>(p.corrupt.size()), d);
    resid.row(pos) = Eigen::Map<const RowVec>(clean_resid.data.data() + pos * d, d);
    RunOptions options;
    options.start_layer = b;
    options.resid_pre = &resid;
    return logit_difference(run(model, p.corrupt, options).logits, p);
  }
  RunOptions options;
  Intervention iv;
  iv.hook = hook;
  iv.op = InterventionOp::Patch;
  iv.positions = {pos};
  iv.value = clean_resid;
  options.interventions.push_back(std::move(iv));
  return logit_difference(run(model, p.corrupt, options).logits, p);
}

json sweep_command(const Args& args) {
  const Session session(load_model_dir(args.get("model")));
  const Model& model = session.model();
  const std::vector<Pair> pairs = pairs_for(session, args);
  const bool reuse = args.get_int("reuse", 1) != 0;
  const int n_boundaries = static_cast<int>(model.config.n_layers) + 1;
  const int per_layer = args.get_int("positions-per-layer", 0);
  RunOptions cache_boundaries;
  for (int b = 0; b < n_boundaries; ++b) cache_boundaries.capture.push_back(boundary(model.config, b));
  run(model, pairs.front().clean, cache_boundaries);  // warm-up

  json recovery = json::array();
  long patches = 0, total_patches = 0;
  double base_seconds = 0, patch_seconds = 0;  // clean and corrupt runs; patched runs
  const double cpu_start = cpu_seconds();
  for (const Pair& p : pairs) {
    const auto base_start = Clock::now();
    const RunResult clean = run(model, p.clean, cache_boundaries);
    const RunResult corrupt = run(model, p.corrupt, cache_boundaries);
    const float ld_clean = logit_difference(clean.logits, p), ld_corrupt = logit_difference(corrupt.logits, p);
    const int n = static_cast<int>(p.corrupt.size());
    json grid = json::array();  // [boundary][position]
    base_seconds += seconds_since(base_start);
    const auto patch_start = Clock::now();
    const int stride = per_layer > 0 && per_layer < n ? (n + per_layer - 1) / per_layer : 1;
    long done = 0;
    for (int b = 0; b < n_boundaries; ++b) {
      json row = json::array();
      for (int pos = 0; pos < n; pos += stride) {
        const float ld = patched_difference(model, p, clean.cache, corrupt.cache, b, pos, reuse);
        row.push_back((ld - ld_corrupt) / (ld_clean - ld_corrupt));
        ++done;
      }
      grid.push_back(std::move(row));
    }
    patch_seconds += seconds_since(patch_start);
    patches += done;
    total_patches += static_cast<long>(n_boundaries) * n;
    recovery.push_back(std::move(grid));
  }
  json out = {{"command", "sweep"}, {"reuse", reuse}, {"pairs", pairs.size()}, {"tokens", pairs.front().clean.size()},
              {"patches", total_patches}, {"patches_timed", patches},
              {"estimated", patches < total_patches},
              {"seconds", base_seconds + patch_seconds * static_cast<double>(total_patches) / static_cast<double>(patches)},
              {"measured_seconds", base_seconds + patch_seconds},
              {"cpu_measured_seconds", cpu_start < 0 ? json() : json(cpu_seconds() - cpu_start)},
              {"ms_per_patch", 1e3 * patch_seconds / static_cast<double>(patches)}, {"peak_bytes", peak_memory_bytes()}};
  if (args.get_int("recovery", 0)) out["recovery"] = std::move(recovery);
  return out;
}

// The patching analysis itself on the suite (levels ["resid"]).
json analyze_command(const Args& args) {
  const Session session(load_model_dir(args.get("model")));
  const Suite suite = read_suite(args.get("model"));
  const bool reuse = args.get_int("reuse", 1) != 0;
  const json settings = {{"levels", {"resid"}}, {"items_per_kind", args.get_int("items-per-kind", 2)}, {"reuse_cache", reuse}};
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  const json result = run_patching(AnalysisRequest{session, &suite, 0, settings, {}});
  const double seconds = seconds_since(start);
  size_t pairs = 0;
  for (const auto& kind : result.at("items").at("kinds")) pairs += kind.at("n").get<size_t>();
  return {{"command", "analyze"}, {"reuse", reuse}, {"pairs", pairs}, {"units", result.at("n_units")},
          {"patches", pairs * result.at("n_units").get<size_t>()}, {"seconds", seconds},
          {"cpu_seconds", cpu_start < 0 ? json() : json(cpu_seconds() - cpu_start)}, {"peak_bytes", peak_memory_bytes()}};
}

json pairs_command(const Args& args) {
  const Session session(load_model_dir(args.get("model")));
  json out = json::array();
  for (const Pair& p : pairs_for(session, args))
    out.push_back({{"clean", p.clean}, {"corrupt", p.corrupt}, {"answer", p.answer}, {"corrupt_answer", p.corrupt_answer}});
  return {{"command", "pairs"}, {"pairs", out}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) throw Error("usage: bench-forward forward|sweep|analyze|pairs --model DIR [options]");
    Args args;
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string key = argv[i];
      if (key.rfind("--", 0) != 0) fail_expected("argument " + std::to_string(i), "--name value", key);
      args.values[key.substr(2)] = argv[i + 1];
    }
    if (args.get("model").empty()) throw Error("--model DIR is required");
    const std::string command = argv[1];
    json out;
    if (command == "forward") out = forward_command(args);
    else if (command == "sweep") out = sweep_command(args);
    else if (command == "analyze") out = analyze_command(args);
    else if (command == "pairs") out = pairs_command(args);
    else fail_expected("command", "forward, sweep, analyze or pairs", command);
#ifdef __EMSCRIPTEN__
    out["build"] = "wasm";
#else
    out["build"] = "native";
#endif
    std::printf("%s\n", out.dump().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-forward: %s\n", e.what());
    return 2;
  }
}
