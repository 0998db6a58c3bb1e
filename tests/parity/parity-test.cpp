// Parity of the C++ forward pass with the torch reference, hook by hook.
//
// Each fixture in tests/data/parity/<name>/ is a small random-weight
// checkpoint in Hugging Face layout plus golden.safetensors, written by
// tests/parity/make-fixtures.py from tests/parity/reference.py: for prompt p,
// "p{p}.<hook name>" for every hook and "p{p}.logits". This test loads the
// checkpoint, runs every prompt with every hook captured, and checks that
//   - the captured hooks and the golden hooks are the same set of names,
//   - every tensor has the golden shape, infinities (the causal mask in
//     hook_attn_scores) sit exactly where the golden ones do,
//   - every finite value is within kTolerance of the golden value.
// BF16 fixtures are held to the same tolerance: the golden values were
// computed from the bf16 weights upcast to f32, which is what the engine uses.
//
// Fixture names are listed here rather than found by directory iteration, so
// the test also runs in the wasm build under node.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/files.h"
#include "io/safetensors.h"
#include "model/forward.h"
#include "model/model.h"

namespace {

using strata::Tensor;

constexpr double kTolerance = 1e-4;

std::string fixture_dir(const std::string& name) {
  return strata::join_path(std::string(STRATA_SOURCE_DIR) + "/tests/data/parity", name);
}

std::vector<std::vector<int32_t>> read_prompts(const std::string& dir) {
  const auto json = nlohmann::json::parse(strata::read_file_text(strata::join_path(dir, "prompts.json")));
  std::vector<std::vector<int32_t>> prompts;
  for (const auto& prompt : json.at("prompts")) prompts.push_back(prompt.get<std::vector<int32_t>>());
  return prompts;
}

Tensor logits_tensor(const strata::Mat& logits) {
  Tensor t;
  t.shape = {logits.rows(), logits.cols()};
  t.data.assign(logits.data(), logits.data() + logits.size());
  return t;
}

// --- comparing one tensor ----------------------------------------------------

std::string format_diff(double x) {
  std::ostringstream out;
  out << std::scientific << std::setprecision(2) << x;
  return out.str();
}

struct Comparison {
  bool ok = true;
  double max_diff = 0.0;  // over finite golden values; infinity if a value is NaN or an inf is misplaced
  std::string problem;    // empty when ok
};

Comparison compare(const Tensor& actual, const Tensor& golden) {
  Comparison c;
  if (actual.shape != golden.shape) {
    c.ok = false;
    c.max_diff = std::numeric_limits<double>::infinity();
    c.problem = "shape " + strata::shape_to_string(actual.shape) + ", golden " + strata::shape_to_string(golden.shape);
    return c;
  }
  if (actual.data.size() != golden.data.size()) {
    c.ok = false;
    c.max_diff = std::numeric_limits<double>::infinity();
    c.problem = std::to_string(actual.data.size()) + " values for shape " + strata::shape_to_string(actual.shape);
    return c;
  }
  for (size_t i = 0; i < golden.data.size(); ++i) {
    const double a = actual.data[i];
    const double g = golden.data[i];
    if (std::isinf(g) || std::isinf(a)) {
      if (a != g && c.problem.empty()) c.problem = "element " + std::to_string(i) + " is " +
                                                   std::to_string(a) + ", golden " + std::to_string(g);
      if (a != g) c.max_diff = std::numeric_limits<double>::infinity();
      continue;
    }
    const double diff = std::isnan(a) || std::isnan(g) ? std::numeric_limits<double>::infinity() : std::fabs(a - g);
    c.max_diff = std::max(c.max_diff, diff);
  }
  c.ok = c.problem.empty() && c.max_diff <= kTolerance;
  if (c.problem.empty() && !c.ok) c.problem = "max abs diff above " + format_diff(kTolerance);
  return c;
}

// --- one fixture -------------------------------------------------------------

// The hook names golden.safetensors holds for prompt p ("p{p}." stripped), logits excluded.
std::set<std::string> golden_hooks(const strata::SafetensorsFile& golden, int p) {
  const std::string prefix = "p" + std::to_string(p) + ".";
  std::set<std::string> names;
  for (const auto& info : golden.tensors())
    if (info.name.compare(0, prefix.size(), prefix) == 0 && info.name != prefix + "logits")
      names.insert(info.name.substr(prefix.size()));
  return names;
}

void check_same_hook_names(const std::string& fixture, int p, const std::set<std::string>& golden,
                           const strata::ActivationCache& cache) {
  for (const auto& name : golden) {
    INFO(fixture << " prompt " << p << ": golden hook " << name << " was not captured");
    CHECK(cache.tensors.count(name) == 1);
  }
  for (const auto& entry : cache.tensors) {
    INFO(fixture << " prompt " << p << ": captured hook " << entry.first << " has no golden tensor");
    CHECK(golden.count(entry.first) == 1);
  }
}

// Compares one tensor, records the worst diff per name, and fails naming it.
void check_tensor(const std::string& fixture, const std::string& golden_name, const std::string& name,
                  const Tensor& actual, const strata::SafetensorsFile& golden,
                  std::map<std::string, double>* worst) {
  const Comparison c = compare(actual, golden.read_f32(golden_name));
  double& w = (*worst)[name];
  w = std::max(w, c.max_diff);
  INFO(fixture << ": " << golden_name << " maxdiff=" << format_diff(c.max_diff) << " " << c.problem);
  CHECK(c.ok);
}

void check_fixture(const std::string& fixture) {
  const std::string dir = fixture_dir(fixture);
  const strata::Model model = strata::load_model_dir(dir);
  const strata::SafetensorsFile golden(strata::read_file_bytes(strata::join_path(dir, "golden.safetensors")),
                                       strata::join_path(dir, "golden.safetensors"));
  const auto prompts = read_prompts(dir);
  REQUIRE(prompts.size() == 3);

  std::map<std::string, double> worst;  // by hook name, over prompts
  strata::RunOptions options;
  options.capture_all = true;
  for (int p = 0; p < static_cast<int>(prompts.size()); ++p) {
    const strata::RunResult result = strata::run(model, prompts[p], options);
    const std::string prefix = "p" + std::to_string(p) + ".";
    const std::set<std::string> hooks = golden_hooks(golden, p);
    CHECK(hooks.size() == strata::all_hooks(model.config).size());
    check_same_hook_names(fixture, p, hooks, result.cache);
    for (const auto& entry : result.cache.tensors)
      if (hooks.count(entry.first)) check_tensor(fixture, prefix + entry.first, entry.first, entry.second, golden, &worst);
    check_tensor(fixture, prefix + "logits", "logits", logits_tensor(result.logits), golden, &worst);
  }
  std::vector<std::string> order;  // forward order, then the logits
  for (const strata::HookId& id : strata::all_hooks(model.config)) order.push_back(strata::hook_name(id));
  order.push_back("logits");
  for (const auto& name : order) {
    if (!worst.count(name)) continue;
    std::cout << (worst[name] <= kTolerance ? "OK " : "MISMATCH ") << fixture << " " << name
              << " maxdiff=" << format_diff(worst[name]) << "\n";
  }
  std::cout << std::flush;
}

}  // namespace

TEST_CASE("parity: gpt2, F32, transformer. prefix", "[parity]") { check_fixture("gpt2-f32"); }
TEST_CASE("parity: gpt2, F32, no prefix", "[parity]") { check_fixture("gpt2-bare-f32"); }
TEST_CASE("parity: gpt2, BF16", "[parity]") { check_fixture("gpt2-bf16"); }
TEST_CASE("parity: llama, grouped-query attention, untied lm_head, F32", "[parity]") { check_fixture("llama-gqa-f32"); }
TEST_CASE("parity: llama, grouped-query attention, untied lm_head, BF16", "[parity]") { check_fixture("llama-gqa-bf16"); }
TEST_CASE("parity: qwen2, q/k/v biases, tied embeddings, F32", "[parity]") { check_fixture("qwen2-f32"); }
TEST_CASE("parity: qwen2, q/k/v biases, tied embeddings, BF16", "[parity]") { check_fixture("qwen2-bf16"); }
