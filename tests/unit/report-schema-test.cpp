// The report schema in depth (src/report/result-schemas.h): real reports of
// every analysis on both shipped architectures pass, and every field of every
// result, mutated (another JSON type, a number past either bound, null, a list
// grown far past its length), is refused with one line naming its path. The
// mutations reach each check once: a list's first element stands for the rest,
// and each mutation is made in place and undone, the result checked as
// parse_report checks it (its own ReportShape), so the test stays fast under
// the sanitizers too.
#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "analysis/registry.h"
#include "base/error.h"
#include "io/files.h"
#include "io/suite.h"
#include "report/report.h"
#include "report/result-schemas.h"

using namespace strata;
using nlohmann::json;

namespace {

// Every analysis, with small settings that still give every shape: the suite
// mode of the observation analyses here, their prompt mode in
// prompt_mode_report(); the sweeps sharded to a sample of their units (each
// level still present) to keep the test fast.
const json kSettings = {
    {"logit-lens", {{"items_per_kind", 1}}},
    {"tuned-lens", {{"items_per_kind", 2}, {"steps", 2}}},
    {"attention-flow", {{"items_per_kind", 1}}},
    {"attribution", {{"items_per_kind", 1}}},
    {"head-scores", {{"n_sequences", 1}}},
    // Units 0-11 are heads, 12 on neurons: a shard of 64 holds one head and 12 neurons.
    {"ablation",
     {{"kinds", {"city", "compare"}}, {"method", "zero"}, {"items_per_kind", 1}, {"levels", {"head", "neuron"}},
      {"shard", {0, 64}}}},
    {"patching", {{"items_per_kind", 1}, {"levels", {"resid", "head", "head_pos"}}, {"shard", {0, 17}}}},
    {"causal-tracing", {{"items_per_kind", 1}, {"samples", 1}, {"window", 2}, {"shard", {0, 5}}}},
    {"neurons", {{"items_per_kind", 3}, {"top_per_layer", 2}}},
    {"circuits",
     {{"kinds", {"city", "compare"}}, {"selection_items_per_kind", 2}, {"validation_items_per_kind", 2}, {"test_items_per_kind", 2},
      {"null_items_per_kind", 2}, {"random_circuits", 2}, {"bootstrap_samples", 100}, {"max_size", 1}, {"donors", 1}}},
    {"study", {{"items_per_kind", 4}, {"replications", 1}, {"top_neurons", 2}}},
    {"probes", {{"items_per_kind", 3}, {"iterations", 2}}},
};

std::vector<std::string> every_analysis() {
  std::vector<std::string> names;
  for (const auto& item : kSettings.items()) names.push_back(item.key());
  return names;
}

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
  if (!cache.count(id)) cache[id] = make_report(id, every_analysis(), kSettings);
  return cache[id];
}

const json& prompt_mode_report() {
  static const json report = make_report(
      "tiny-gpt2-world2", {"logit-lens", "tuned-lens", "attention-flow", "attribution"},
      {{"logit-lens", {{"item", "city-trained-000"}}},
       {"tuned-lens", {{"item", "city-trained-000"}, {"items_per_kind", 2}, {"steps", 0}}},
       {"attention-flow", {{"prompt", "emil blake accra . city of emil blake"}, {"answer", "accra"}}},
       {"attribution", {{"prompt", "emil blake accra . city of emil blake"}, {"answer", "accra"}, {"foil", "rome"}}}});
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

// A value to mutate: where it is (JSON pointer), its path as the validators
// write it, and its parent's path.
struct Site {
  json::json_pointer pointer;
  std::string path, parent;
};

// Every value under `node`, descending into the first element of each array
// only (its other elements pass the same checks).
void collect(const json& node, const Site& here, std::vector<Site>& out) {
  out.push_back(here);
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "settings") continue;  // an analysis's echo of its settings: an object, checked only for its shard
      collect(value, {here.pointer / key, here.path + ": " + key, here.path}, out);
    }
  } else if (node.is_array() && !node.empty()) {
    collect(node[0], {here.pointer / 0, here.path + "[0]", here.path}, out);
  }
}

// Mutations no field of the schema accepts, one per check they reach: another
// type, a number beyond either bound, null, a list longer than any length allowed.
std::vector<std::pair<std::string, json>> mutations(const json& value, const std::string& key) {
  std::vector<std::pair<std::string, json>> out;
  if (value.is_number_integer()) {
    out = {{"a string", "7"}, {"a fraction", 0.5}, {"huge", int64_t{9'000'000'000'000'000'000}}};
  } else if (value.is_number()) {
    out = {{"a string", "7"}, {"huge", 1e300}, {"huge negative", -1e300}};
  } else if (value.is_string()) {
    out = {{"a number", 7}};
    if (key != "item" && key != "vote") out.push_back({"null", nullptr});  // those two may be null
  } else if (value.is_boolean()) {
    out = {{"a number", 1}};
  } else if (value.is_array()) {
    out = {{"an object", json::object()}, {"null", nullptr}};
    if (!value.empty()) out.push_back({"grown by 5000", json::array()});  // filled in place below
  } else if (value.is_object()) {
    out = {{"an array", json::array()}, {"null", nullptr}};
  } else if (value.is_null()) {
    out = {{"an array", json::array()}};
  }
  return out;
}

// Checks one analysis's result as parse_report does (ReportShape from the
// report's own model config and suite); "" when it passes.
std::string result_refusal(const json& report, const std::string& analysis, const json& result) {
  try {
    const ReportShape shape = report_shape(Checked(report.at("model").at("config"), "r: model: config"),
                                           report.at("suite").at("n_items").get<int64_t>());
    check_result(analysis, Checked(result, "r: results: " + analysis), shape);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void check_every_mutation_refused(const json& report, const std::string& analysis) {
  json result = report.at("results").at(analysis);  // mutated in place and restored
  std::vector<Site> sites;
  collect(result, {json::json_pointer(), "r: results: " + analysis, "r: results"}, sites);
  size_t checked = 0;
  for (const Site& site : sites) {
    const std::string key = site.pointer.empty() ? "" : site.pointer.back();
    for (auto& [what, replacement] : mutations(result[site.pointer], key)) {
      json& target = result[site.pointer];
      if (what == "grown by 5000") {
        replacement = target;
        for (int i = 0; i < 5000; ++i) replacement.push_back(target.back());
      }
      json original = std::exchange(target, replacement);
      const std::string error = result_refusal(report, analysis, result);
      result[site.pointer] = std::move(original);
      INFO(site.path << " made " << what << ": " << error);
      REQUIRE(!error.empty());
      CHECK(error.find('\n') == std::string::npos);
      // Named at the mutated value, inside it, or at its parent (a length or a count that no longer agrees).
      CHECK((error.rfind(site.parent + ":", 0) == 0 || error.rfind(site.parent + "[", 0) == 0));
      ++checked;
    }
  }
  CHECK(result == report.at("results").at(analysis));
  CHECK(checked > 20);
}

}  // namespace

TEST_CASE("real reports of both architectures pass the schema", "[report][schema]") {
  for (const std::string id : {"tiny-gpt2-world2", "tiny-llama-world2"})
    CHECK_NOTHROW(parse_report(suite_report(id).dump(), id));
  // The sharded sweeps still hold a unit of every level, so that each level's checks meet a mutation.
  const json& results = suite_report("tiny-gpt2-world2").at("results");
  const std::map<std::string, std::set<std::string>> levels = {{"ablation", {"head", "neuron"}},
                                                               {"patching", {"resid", "head", "head_pos"}},
                                                               {"causal-tracing", {"resid", "mlp", "attn"}}};
  for (const auto& [sweep, wanted] : levels) {
    std::set<std::string> found;
    for (const json& unit : results.at(sweep).at("units")) found.insert(unit.at("level").get<std::string>());
    CHECK(found == wanted);
  }
  CHECK_NOTHROW(parse_report(prompt_mode_report().dump(), "prompt"));
}

// A report over the shipped suite with the first three trained city items and
// every held-out "lookup" item (the reasoning kind that the circuits' settings
// do not name) marked answered wrong: the results then carry the counts of what
// they left out ("answered_wrong", "all_wrong_kinds"); the ablation, the tuned
// lens and the circuits, over their time budgets, also say what they cut
// ("budget").
const json& marked_report() {
  static const json report = [] {
    const Shipped& s = shipped("tiny-gpt2-world2");
    json suite = json::parse(read_file_text(std::string(STRATA_SOURCE_DIR) + "/models/tiny-gpt2-world2/suite.json"));
    json ids = json::array();
    for (const json& item : suite["items"])
      if ((item["kind"] == "city" && item["split"] == "trained" && ids.size() < 3) ||
          (item["kind"] == "lookup" && item["split"] == "heldout"))
        ids.push_back(item["id"]);
    suite["answered_wrong"] = {{"weights_sha256", s.session.model().weights_sha256}, {"items", ids}};
    static const Suite marked = parse_suite(suite.dump(), "suite.json");
    const std::vector<std::string> analyses = {"logit-lens",  "tuned-lens", "attention-flow", "attribution",
                                               "ablation",    "study",      "circuits"};
    json own = json::object();
    for (const std::string& a : analyses) own[a] = kSettings.at(a);
    own["ablation"].erase("kinds");  // the default kinds, so that "lookup" is left out and named
    own["ablation"]["items_per_kind"] = 8;
    own["ablation"]["budget_seconds"] = 1e-9;  // cut to the fewest items: the result says so in "budget"
    own["tuned-lens"]["items_per_kind"] = 6;
    own["tuned-lens"]["budget_seconds"] = 1e-9;  // and the tuned lens to least squares too
    own["circuits"]["selection_items_per_kind"] = 3;
    own["circuits"]["budget_seconds"] = 1e-9;  // and the circuits to whole layers, 2 items per kind
    for (const std::string& a : {"logit-lens", "tuned-lens", "attention-flow", "attribution"}) own[a]["split"] = "heldout";
    return build_report({s.session, "tiny-gpt2-world2", &marked, std::string(64, 'a'), {analyses, own, 3}, {}});
  }();
  return report;
}

TEST_CASE("the counts of items left out as answered wrong and a budget's cut pass the schema, and every mutation of them is refused",
          "[report][schema]") {
  const json& report = marked_report();
  CHECK_NOTHROW(parse_report(report.dump(), "marked"));
  const Suite& suite = shipped("tiny-gpt2-world2").suite;
  const auto lookups = std::count_if(suite.items.begin(), suite.items.end(), [](const SuiteItem& item) {
    return item.kind == "lookup" && item.split == "heldout";
  });
  REQUIRE(lookups > 0);
  const json& results = report.at("results");
  CHECK(results.at("ablation").at("items").at("all_wrong_kinds") == json::array({"lookup"}));
  CHECK(results.at("ablation").at("items").at("kinds").at(0).at("answered_wrong") == 3);
  CHECK(results.at("ablation").at("budget").at("items_per_kind") == 4);
  CHECK(results.at("tuned-lens").at("budget").at("items_per_kind") == 4);
  CHECK(results.at("tuned-lens").at("budget").at("objective") == "least-squares");
  CHECK(results.at("circuits").at("budget").at("items_per_kind").at("selection") == 2);
  CHECK(results.at("circuits").at("budget").at("candidates") == "attn_mlps");
  CHECK(results.at("study").at("items").at("answered_wrong").at("lookup") == lookups);
  for (const std::string& analysis : {"logit-lens", "tuned-lens", "attention-flow", "attribution"}) {
    INFO(analysis);
    CHECK(results.at(analysis).at("answered_wrong").at("lookup") == lookups);
  }
  for (const std::string& analysis :
       {"logit-lens", "tuned-lens", "attention-flow", "attribution", "ablation", "study", "circuits"}) {
    SECTION(analysis) { check_every_mutation_refused(report, analysis); }
  }
}

TEST_CASE("every mutated field of a result is refused, naming its path", "[report][schema]") {
  for (const std::string& analysis : every_analysis()) {
    SECTION(analysis) { check_every_mutation_refused(suite_report("tiny-gpt2-world2"), analysis); }
  }
  // The tuned lens's prompt mode adds the logit lens's "case" and "lens", checked by the same code.
  for (const std::string& analysis : {"logit-lens", "attention-flow", "attribution"}) {
    SECTION(analysis + " (prompt mode)") { check_every_mutation_refused(prompt_mode_report(), analysis); }
  }
}

TEST_CASE("a patching result claiming 3000 positions and a unit at boundary 999 is refused", "[report][schema]") {
  json report = suite_report("tiny-gpt2-world2");
  json& patching = report["results"]["patching"];
  patching["items"]["n_pos"] = 3000;
  CHECK(refusal(report) == "r: results: patching: items: n_pos: expected an integer in [1, 32], found 3000");
  report = suite_report("tiny-gpt2-world2");
  report["results"]["patching"]["units"][0]["boundary"] = 999;
  const int n_layers = report["model"]["config"]["n_layers"];  // boundaries 0 to n_layers
  CHECK(refusal(report) == "r: results: patching: units[0]: boundary: expected an integer in [0, " +
                               std::to_string(n_layers) + "], found 999");
}

TEST_CASE("empty results, unknown kinds and counts beyond the suite are refused", "[report][schema]") {
  const json valid = suite_report("tiny-gpt2-world2");
  for (const std::string& analysis : every_analysis()) {
    json report = valid;
    report["results"][analysis] = json::object();
    INFO(analysis);
    CHECK_THAT(refusal(report), Catch::StartsWith("r: results: " + analysis + ": ") && Catch::EndsWith(": missing"));
  }
  json report = valid;
  report["results"]["ablation"]["baseline"]["by_kind"]["astrology"] = 0.5;
  CHECK(refusal(report) == "r: results: ablation: baseline: by_kind: astrology: not among the result's kinds");
  report = valid;
  report["suite"]["n_items"] = 1;
  CHECK_THAT(refusal(report), Catch::StartsWith("r: results: ablation: items: kinds"));
  report = valid;
  json* head = nullptr;
  for (json& unit : report["results"]["ablation"]["units"])
    if (unit["level"] == "head") head = &unit;
  REQUIRE(head);
  json& head_unit = *head;
  head_unit["sites"][0]["head"] = 4;  // 4 heads
  CHECK_THAT(refusal(report), Catch::EndsWith(": sites[0]: head: expected an integer in [0, 3], found 4"));
  head_unit["sites"] = json::array();
  CHECK_THAT(refusal(report), Catch::EndsWith(": sites: expected 1 to 4 elements, found 0"));
  report = valid;
  const int n_layers = valid["model"]["config"]["n_layers"];
  report["model"]["config"]["n_layers"] = n_layers - 1;  // the results have one layer more
  CHECK_THAT(refusal(report), Catch::StartsWith("r: results: ablation: units[") &&
                                  Catch::EndsWith(": layer: expected an integer in [0, " + std::to_string(n_layers - 2) +
                                                  "], found " + std::to_string(n_layers - 1)));
}

TEST_CASE("the model config a report names is range-checked before the results are read against it", "[report][schema]") {
  const json valid = suite_report("tiny-gpt2-world2");
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

TEST_CASE("every analysis has a validator", "[report][schema]") {
  for (const AnalysisEntry& e : analysis_table()) {
    INFO(e.name);
    REQUIRE(result_validators().count(e.name));
    CHECK(result_validators().at(e.name) != nullptr);
    CHECK(kSettings.contains(e.name));  // and is among the reports checked here
  }
}

TEST_CASE("counts and orders that must agree across a result are checked", "[report][schema]") {
  const json valid = suite_report("tiny-gpt2-world2");
  auto refused = [&](const std::function<void(json&)>& mutate) {
    json report = valid;
    mutate(report["results"]);
    return refusal(report);
  };
  CHECK(refused([](json& r) { r["probes"]["test_items"] = r["probes"]["test_items"].get<int>() + 1; }) ==
        "r: results: probes: test_items: expected an integer in [" + std::to_string(valid["results"]["probes"]["test_items"].get<int>()) +
            ", " + std::to_string(valid["results"]["probes"]["test_items"].get<int>()) + "], found " +
            std::to_string(valid["results"]["probes"]["test_items"].get<int>() + 1));
  CHECK(refused([](json& r) { std::swap(r["study"]["heads"][0], r["study"]["heads"][1]); }) ==
        "r: results: study: heads[0]: head: expected an integer in [0, 0], found 1");  // layer-major order
  CHECK(refused([](json& r) { r["circuits"]["test_items"].erase(0); }) ==
        "r: results: circuits: test_items: expected " + std::to_string(valid["results"]["circuits"]["test_items"].size()) +
            " elements, found " + std::to_string(valid["results"]["circuits"]["test_items"].size() - 1));
  CHECK(refused([](json& r) {
          json& front = r["circuits"]["circuits"]["recall"]["front"];
          front.push_back(front[0]);
        }) == "r: results: circuits: circuits: recall: front[" +
                  std::to_string(valid["results"]["circuits"]["circuits"]["recall"]["front"].size()) +
                  "]: components: repeated subset");
  CHECK(refused([](json& r) { r["circuits"]["circuits"]["recall"]["sizes"][0]["chosen"] = false; }) ==
        "r: results: circuits: circuits: recall: sizes: expected exactly one chosen size, found 0");
  CHECK(refused([](json& r) { r["tuned-lens"]["lens"] = json::object(); }) ==
        "r: results: tuned-lens: unknown field \"lens\"");
  // The prompt mode of the tuned lens needs the prompt's lens view.
  json prompt = prompt_mode_report();
  prompt["results"]["tuned-lens"].erase("lens");
  CHECK(refusal(prompt) == "r: results: tuned-lens: lens: missing");
}
