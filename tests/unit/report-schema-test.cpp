// The report schema in depth (src/report/result-schemas.h): real reports of
// both shipped architectures pass, and every field of every result checked in
// depth, mutated (another JSON type, a huge number, null, a list grown far
// past its length), is refused with one line naming its path.
#include <catch2/catch.hpp>
#include <functional>
#include <map>

#include "base/error.h"
#include "io/files.h"
#include "io/suite.h"
#include "report/report.h"
#include "report/result-schemas.h"

using namespace strata;
using nlohmann::json;

namespace {

const std::vector<std::string> kDeep = {"logit-lens", "attention-flow", "attribution", "head-scores",
                                        "ablation",   "patching",       "causal-tracing", "neurons"};

// Small settings that still give every shape: the suite mode of the observation
// analyses here, their prompt mode in prompt_mode_report().
const json kSettings = {
    {"logit-lens", {{"max_items_per_kind", 1}}},
    {"attention-flow", {{"max_items_per_kind", 1}}},
    {"attribution", {{"max_items_per_kind", 1}}},
    {"head-scores", {{"n_sequences", 1}}},
    {"ablation", {{"items_per_kind", 2}, {"levels", {"layer", "head", "neuron"}}}},
    {"patching", {{"items_per_kind", 1}, {"levels", {"resid", "head", "head_pos"}}}},
    {"causal-tracing", {{"items_per_kind", 1}, {"samples", 1}, {"window", 2}}},
    {"neurons", {{"items_per_kind", 3}, {"top_per_layer", 2}}},
};

struct Shipped {
  Session session;
  Suite suite;
};

const Shipped& shipped(const std::string& id) {
  static std::map<std::string, std::unique_ptr<Shipped>> cache;
  auto& slot = cache[id];
  if (!slot) {
    const std::string dir = std::string(STRATA_SOURCE_DIR) + "/models/" + id;
    slot = std::make_unique<Shipped>(Shipped{Session(load_model_dir(dir)),
                                             parse_suite(read_file_text(dir + "/suite.json"), "suite.json")});
  }
  return *slot;
}

json make_report(const std::string& id, const std::vector<std::string>& analyses, const json& settings) {
  const Shipped& s = shipped(id);
  json own = json::object();
  for (const std::string& a : analyses) own[a] = settings.contains(a) ? settings.at(a) : json::object();
  return build_report({s.session, id, &s.suite, std::string(64, 'a'), {analyses, own, 3}, {}});
}

const json& suite_report(const std::string& id) {
  static std::map<std::string, json> cache;
  if (!cache.count(id)) cache[id] = make_report(id, kDeep, kSettings);
  return cache[id];
}

const json& prompt_mode_report() {
  static const json report = make_report(
      "tiny-gpt2-world", {"logit-lens", "attention-flow", "attribution"},
      {{"logit-lens", {{"item", "city-trained-000"}}},
       {"attention-flow", {{"prompt", "emil blake accra . city emil blake ?"}, {"answer", "accra"}}},
       {"attribution", {{"prompt", "emil blake accra . city emil blake ?"}, {"answer", "accra"}, {"foil", "rome"}}}});
  return report;
}

std::string refusal(const json& report) {
  try {
    parse_report(report.dump(), "r");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Visits every value under `node` (both ends of each array), with its path as
// the validators write it and the path of its parent.
void walk(const json& node, const std::string& path, const std::string& parent, const json::json_pointer& pointer,
          const std::function<void(const json&, const std::string&, const std::string&, const json::json_pointer&)>& visit) {
  visit(node, path, parent, pointer);
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "settings") continue;  // an analysis's echo of its settings: an object, checked only for its shard
      walk(value, path + ": " + key, path, pointer / key, visit);
    }
  } else if (node.is_array() && !node.empty()) {
    for (size_t i : {size_t{0}, node.size() - 1}) {
      walk(node[i], path + "[" + std::to_string(i) + "]", path, pointer / i, visit);
      if (node.size() == 1) break;
    }
  }
}

// The mutations of one value that no field of the schema accepts.
std::vector<std::pair<std::string, json>> mutations(const json& value, const std::string& key) {
  std::vector<std::pair<std::string, json>> out;
  if (value.is_number()) {
    out.push_back({"a string", "7"});
    out.push_back({"huge", 1e300});
    out.push_back({"huge negative", -1e300});
    if (value.is_number_integer()) out.push_back({"huge integer", int64_t{9'000'000'000'000'000'000}});
  } else if (value.is_string()) {
    out.push_back({"a number", 7});
    if (key != "item") out.push_back({"null", nullptr});
  } else if (value.is_boolean()) {
    out.push_back({"a number", 1});
  } else if (value.is_array()) {
    out.push_back({"an object", json::object()});
    out.push_back({"null", nullptr});
    if (!value.empty()) {
      json grown = value;
      for (int i = 0; i < 5000; ++i) grown.push_back(value.back());
      out.push_back({"grown by 5000", grown});
    }
  } else if (value.is_object()) {
    out.push_back({"an array", json::array()});
    out.push_back({"null", nullptr});
  } else if (value.is_null()) {
    out.push_back({"an array", json::array()});
  }
  return out;
}

void check_every_mutation_refused(const json& full, const std::string& analysis) {
  // The report cut to this one analysis: each mutation re-parses it.
  json report = full;
  report["analyses"] = {analysis};
  report["settings"] = {{analysis, full.at("settings").at(analysis)}};
  report["results"] = {{analysis, full.at("results").at(analysis)}};
  const json& result = report.at("results").at(analysis);
  const json::json_pointer root = json::json_pointer("/results") / analysis;
  size_t checked = 0;
  walk(result, "r: results: " + analysis, "r: results", root,
       [&](const json& value, const std::string& path, const std::string& parent, const json::json_pointer& pointer) {
         const std::string key = pointer.empty() ? "" : pointer.back();
         for (const auto& [what, replacement] : mutations(value, key)) {
           json bad = report;
           bad[pointer] = replacement;
           const std::string error = refusal(bad);
           INFO(path << " made " << what << ": " << error);
           REQUIRE(!error.empty());
           CHECK(error.find('\n') == std::string::npos);
           // Named at the mutated value, inside it, or at its parent (a length or a count that no longer agrees).
           CHECK((error.rfind(parent + ":", 0) == 0 || error.rfind(parent + "[", 0) == 0));
           ++checked;
         }
       });
  CHECK(checked > 20);
}

}  // namespace

TEST_CASE("real reports of both architectures pass the schema", "[report][schema]") {
  for (const std::string id : {"tiny-gpt2-world", "tiny-llama-world"})
    CHECK_NOTHROW(parse_report(suite_report(id).dump(), id));
  CHECK_NOTHROW(parse_report(prompt_mode_report().dump(), "prompt"));
}

TEST_CASE("every mutated field of a result is refused, naming its path", "[report][schema]") {
  for (const std::string& analysis : kDeep) {
    SECTION(analysis) { check_every_mutation_refused(suite_report("tiny-gpt2-world"), analysis); }
  }
  for (const std::string& analysis : {"logit-lens", "attention-flow", "attribution"}) {
    SECTION(analysis + " (prompt mode)") { check_every_mutation_refused(prompt_mode_report(), analysis); }
  }
}

TEST_CASE("a patching result claiming 3000 positions and a unit at boundary 999 is refused", "[report][schema]") {
  json report = suite_report("tiny-gpt2-world");
  json& patching = report["results"]["patching"];
  patching["items"]["n_pos"] = 3000;
  CHECK(refusal(report) == "r: results: patching: items: n_pos: expected an integer in [1, 32], found 3000");
  report = suite_report("tiny-gpt2-world");
  report["results"]["patching"]["units"][0]["boundary"] = 999;
  CHECK(refusal(report) == "r: results: patching: units[0]: boundary: expected an integer in [0, 4], found 999");
}

TEST_CASE("empty results, unknown kinds and counts beyond the suite are refused", "[report][schema]") {
  const json valid = suite_report("tiny-gpt2-world");
  for (const std::string& analysis : kDeep) {
    json report = valid;
    report["results"][analysis] = json::object();
    INFO(analysis);
    CHECK_THAT(refusal(report), Catch::StartsWith("r: results: " + analysis + ": ") && Catch::EndsWith(": missing"));
  }
  json report = valid;
  report["results"]["ablation"]["baseline"]["by_kind"]["astrology"] = 0.5;
  CHECK(refusal(report) == "r: results: ablation: baseline: by_kind: astrology: not among the result's kinds");
  report = valid;
  report["suite"]["n_items"] = 3;
  CHECK_THAT(refusal(report), Catch::StartsWith("r: results: ablation: items: kinds"));
  report = valid;
  report["model"]["config"]["n_layers"] = 3;  // the results have 4 layers
  CHECK_THAT(refusal(report), Catch::StartsWith("r: results: logit-lens: boundary_hooks: expected 4 elements, found 5"));
}

TEST_CASE("the model config a report names is range-checked before the results are read against it", "[report][schema]") {
  const json valid = suite_report("tiny-gpt2-world");
  const std::vector<std::pair<std::string, json>> cases = {
      {"n_layers", 0}, {"n_layers", 100000}, {"n_heads", "4"}, {"d_vocab", nullptr}, {"n_kv_heads", 3}, {"family", "rwkv"}};
  for (const auto& [key, value] : cases) {
    json report = valid;
    report["model"]["config"][key] = value;
    INFO(key << " = " << value.dump());
    CHECK_THAT(refusal(report), Catch::StartsWith("r: model: config: " + key + ": expected"));
  }
  json report = valid;
  report["model"]["config"].erase("d_mlp");
  CHECK(refusal(report) == "r: model: config: d_mlp: missing");
}

TEST_CASE("every analysis has an entry in the table of result validators", "[report][schema]") {
  // Those being reshaped are checked as bounded objects until their validators land.
  for (const std::string name : {"tuned-lens", "circuits", "study", "probes"}) CHECK(result_validators().at(name) == nullptr);
  for (const std::string& name : kDeep) CHECK(result_validators().at(name) != nullptr);
}
