// The analysis registry, the observation runners behind it, and the report
// format: what a report holds, that it reads back, that the same inputs give
// the same bytes, and that every malformed report and bad setting is refused
// with one line naming the field.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>

#include "analysis/observation/attention-flow.h"
#include "analysis/observation/attribution.h"
#include "analysis/shared/evaluate.h"
#include "analysis/observation/logit-lens.h"
#include "analysis/observation/observation-cases.h"
#include "analysis/observation/observation-runners.h"
#include "analysis/registry.h"
#include "base/error.h"
#include "base/sha256.h"
#include "io/files.h"
#include "io/suite.h"
#include "report/report-request.h"
#include "report/report.h"
#include "shipped.h"

using namespace strata;
using namespace strata::testing;
using nlohmann::json;

namespace {


// The shipped suite cut to its first `per_kind` items of every kind.
const Suite& small_suite() {
  static const Suite suite = [] {
    Suite s = shipped_suite();
    std::map<std::string, int> taken;
    std::vector<SuiteItem> kept;
    for (const SuiteItem& item : s.items)
      if (taken[item.kind]++ < 3) kept.push_back(item);
    s.items = kept;
    return s;
  }();
  return suite;
}

// `settings` with every item of every kind of small_suite(), optional kinds too.
json every_item(json settings) {
  std::vector<std::string> kinds;
  for (const auto& [name, kind] : small_suite().kinds) kinds.push_back(name);
  settings["kinds"] = kinds;
  settings["split"] = "all";
  settings["items_per_kind"] = 0;
  return settings;
}

json run(const std::string& name, const json& settings, uint64_t seed = 0) {
  const AnalysisRequest request{shipped_session(), &small_suite(), seed, settings, {}};
  return analysis_named(name, "test").run(request);
}

ReportInputs inputs(const std::vector<std::string>& analyses, const json& settings, uint64_t seed) {
  ReportRequest request{analyses, settings, seed};
  return ReportInputs{shipped_session(), kShippedId, &small_suite(), std::string(64, 'a'), request, {}};
}

std::vector<double> numbers(const json& j) { return j.get<std::vector<double>>(); }

double sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

}  // namespace

// --- the registry ---------------------------------------------------------------

TEST_CASE("the registry lists every analysis once, with a runner and a description", "[registry]") {
  std::set<std::string> names;
  for (const AnalysisEntry& e : analysis_table()) {
    CHECK(names.insert(e.name).second);
    CHECK(e.run != nullptr);
    CHECK(std::string(e.description).size() > 10);
    CHECK(find_analysis(e.name) == &e);
  }
  const std::vector<std::string> expected = {"logit-lens", "tuned-lens", "attention-flow", "attribution",
                                             "head-scores", "ablation",   "patching",       "causal-tracing",
                                             "circuits",   "study",      "neurons",        "probes"};
  CHECK(analysis_names_from_list("all", "--analysis") == expected);
  for (const char* sweep : {"ablation", "patching", "causal-tracing"}) CHECK(find_analysis(sweep)->sweep);
  for (const char* name : {"logit-lens", "attention-flow", "attribution", "head-scores"})
    CHECK_FALSE(find_analysis(name)->needs_suite);
  CHECK(find_analysis("mind-reading") == nullptr);
  CHECK(analysis_list_json().size() == analysis_table().size());
}

TEST_CASE("analysis lists are checked and put in the registry's order", "[registry]") {
  const std::vector<std::string> all = analysis_names_from_list("all", "--analysis");
  REQUIRE(all.size() == analysis_table().size());
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i] == analysis_table()[i].name);
  CHECK(analysis_names_from_list("head-scores,logit-lens", "--analysis") ==
        std::vector<std::string>{"logit-lens", "head-scores"});
  CHECK(analysis_names_from_json(json::parse(R"(["head-scores", "logit-lens"])"), "analyses") ==
        std::vector<std::string>{"logit-lens", "head-scores"});
  CHECK(analysis_names_from_json("all", "analyses") == all);
  CHECK_THROWS_WITH(analysis_names_from_list("logit-lens,mind-reading", "--analysis"),
                    Catch::StartsWith("--analysis: unknown analysis \"mind-reading\" (known: logit-lens,"));
  CHECK_THROWS_WITH(analysis_names_from_list("logit-lens,,head-scores", "--analysis"),
                    Catch::StartsWith("--analysis: unknown analysis \"\""));
  CHECK_THROWS_WITH(analysis_names_from_list("logit-lens,logit-lens", "--analysis"),
                    "--analysis: \"logit-lens\" given twice");
  CHECK_THROWS_WITH(analysis_names_from_json(json::array(), "analyses"),
                    "analyses: expected at least one analysis name, or \"all\", found none");
  CHECK_THROWS_WITH(analysis_names_from_json(json::parse("[3]"), "analyses"),
                    "analyses[0]: expected an analysis name, found 3");
}

// --- the runners: answers known from the analyses they wrap ---------------------

TEST_CASE("logit lens over the suite: the last boundary is the model's own output", "[runners]") {
  const json r = run("logit-lens", every_item(json::object()));
  REQUIRE(r["mode"] == "suite");
  const Evaluation eval = evaluate_suite(shipped_session(), small_suite(), "tiny");
  std::map<std::string, std::pair<int, int>> correct;  // kind -> (correct, n)
  for (size_t i = 0; i < eval.items.size(); ++i) {
    auto& c = correct[small_suite().items[i].kind];
    c.first += eval.items[i].correct ? 1 : 0;
    c.second += 1;
  }
  REQUIRE(r["by_kind"].size() == correct.size());
  for (const auto& [kind, k] : r["by_kind"].items()) {
    INFO(kind);
    const int L = shipped_session().model().config.n_layers;
    CHECK(k["n"] == correct[kind].second);
    CHECK(k["kl_to_final"][L].get<double>() == Approx(0.0).margin(1e-9));
    CHECK(k["answer_top1"][L].get<double>() == Approx(double(correct[kind].first) / correct[kind].second));
    for (double p : numbers(k["answer_prob"])) CHECK((p >= 0 && p <= 1));
    for (double rank : numbers(k["answer_rank"])) CHECK(rank >= 1);
  }
}

TEST_CASE("one item gives the lens, flow and attribution of its prompt", "[runners]") {
  const SuiteItem& item = small_suite().items[0];
  const Session& s = shipped_session();
  const std::vector<int32_t> tokens = s.tokenize(item.prompt);
  const int32_t answer = s.tokenize(item.answer)[0], foil = s.tokenize(item.corrupt_answer)[0];

  LensSettings lens;
  lens.target = answer;
  lens.foil = foil;
  const json by_item = run("logit-lens", {{"item", item.id}});
  CHECK(by_item["lens"] == to_json(logit_lens(s.model(), tokens, lens)));
  CHECK(run("logit-lens", {{"prompt", item.prompt}, {"answer", item.answer}, {"foil", item.corrupt_answer}})["lens"] ==
        by_item["lens"]);
  CHECK(run("attention-flow", {{"item", item.id}})["flow"] == to_json(attention_flow(s.model(), tokens)));
  const json a = run("attribution", {{"item", item.id}});
  CHECK(a["attribution"] == to_json(direct_logit_attribution(s.model(), tokens, {-1, answer, foil})));
  // The same prompt, answer and foil given as text give the same result.
  json by_text = run("attribution", {{"prompt", item.prompt}, {"answer", item.answer}, {"foil", item.corrupt_answer}});
  CHECK(by_text["attribution"] == a["attribution"]);
  CHECK(by_text["case"]["item"].is_null());
  CHECK(a["case"]["item"] == item.id);
}

TEST_CASE("a conflict item's foil is its memorised answer", "[runners]") {
  const Session& s = shipped_session();
  SuiteItem item = small_suite().items[0];
  CHECK(item_case(s, item).foil == s.tokenize(item.corrupt_answer)[0]);
  item.family = "conflict";
  for (const char* city : {"rome", "oslo", "lima"})
    if (city != item.answer && city != item.corrupt_answer) item.memory_answer = city;
  REQUIRE(item.memory_answer != item.corrupt_answer);
  CHECK(item_case(s, item).foil == s.tokenize(item.memory_answer)[0]);
}

TEST_CASE("attribution over the suite: the mean components sum to the mean logit", "[runners]") {
  const json r = run("attribution", json::object());
  const size_t n_components = r["components"].size();
  REQUIRE(n_components > 4);
  for (const auto& [kind, k] : r["by_kind"].items()) {
    INFO(kind);
    CHECK(k["logit"].size() == n_components);
    CHECK(sum(numbers(k["logit"])) == Approx(k["model_logit"].get<double>()).margin(1e-3));
    CHECK(sum(numbers(k["logit_diff"])) == Approx(k["model_logit_diff"].get<double>()).margin(1e-3));
  }
}

TEST_CASE("attention flow over the suite: mean rows of a distribution over the prompt", "[runners]") {
  const json r = run("attention-flow", {{"split", "trained"}});
  for (const auto& [kind, k] : r["by_kind"].items()) {
    INFO(kind);
    CHECK(k["rollout"].size() == k["n_pos"].get<size_t>());
    CHECK(sum(numbers(k["rollout"])) == Approx(1.0).margin(1e-5));
    CHECK(sum(numbers(k["flow"])) == Approx(1.0).margin(1e-5));
  }
}

TEST_CASE("tuned lens: fitted on items of every kind, held-out KL per kind beside the logit lens's", "[runners]") {
  // 3 items per kind: 1 held out (ceil(0.2 · 3)), 2 fitted, every position of each prompt.
  const json r = run("tuned-lens", every_item({{"steps", 20}}));
  const int L = shipped_session().model().config.n_layers;
  const std::set<std::string> kinds = [] {
    std::set<std::string> k;
    for (const SuiteItem& item : small_suite().items) k.insert(item.kind);
    return k;
  }();
  REQUIRE(r["fit"]["by_kind"].size() == kinds.size());
  for (const std::string& kind : kinds) {
    INFO(kind);
    CHECK(r["fit"]["by_kind"][kind] == 2);
    CHECK(r["fit"]["positions_by_kind"][kind] == 2 * 16);
    const json& h = r["heldout"]["by_kind"][kind];
    CHECK(h["n_items"] == 1);
    REQUIRE(h["tuned_kl"].size() == size_t(L + 1));
    REQUIRE(h["logit_kl"].size() == size_t(L + 1));
    CHECK(h["tuned_kl"][L].get<double>() == Approx(0.0).margin(1e-9));
    CHECK(r["by_kind"][kind]["n"] == 1);
  }
  CHECK(r["fit"]["n_items"] == 2 * kinds.size());
  CHECK(r["fit"]["n_positions"] == 2 * 16 * kinds.size());
  CHECK(r["heldout"]["n_items"] == kinds.size());
  CHECK(r["fit_method"] == "kl-from-least-squares");
  CHECK(r["fit"]["objective_end"].size() == size_t(L));
  // Every (kind, boundary) where the tuned lens is above the logit lens is listed, with a reason.
  size_t above = 0;
  for (const std::string& kind : kinds)
    for (int b = 0; b <= L; ++b)
      above += r["heldout"]["by_kind"][kind]["tuned_kl"][b].get<double>() >
               r["heldout"]["by_kind"][kind]["logit_kl"][b].get<double>() + 1e-9;
  CHECK(r["heldout"]["tuned_above_logit"].size() == above);
  for (const json& e : r["heldout"]["tuned_above_logit"]) CHECK(!e["reason"].get<std::string>().empty());
  // Another seed draws other items; least squares is a setting of its own.
  CHECK(run("tuned-lens", every_item({{"steps", 20}}), 1)["heldout"]["by_kind"] != r["heldout"]["by_kind"]);
  CHECK(run("tuned-lens", {{"objective", "least-squares"}})["fit_method"] == "least-squares-to-final-residual");
  // The lens saved from the same fit is the one the result describes.
  const TunedLensRun fit = fit_suite_tuned_lens({shipped_session(), &small_suite(), 0, every_item({{"steps", 20}}), {}});
  CHECK(fit.result == r);
}

TEST_CASE("the tuned lens keeps its last fit: another item in focus reuses it, with a fresh fit's bytes", "[runners]") {
  std::vector<std::string> stages;
  const auto focused = [&](const std::string& item, int steps) {
    stages.clear();
    const AnalysisRequest request{shipped_session(), &small_suite(), 3, {{"steps", steps}, {"item", item}},
                                  [&](double, const std::string& stage) { stages.push_back(stage); }};
    return analysis_named("tuned-lens", "test").run(request);
  };
  const auto fitted = [&] { return std::count(stages.begin(), stages.end(), "tuned lens: fitting") > 0; };
  const std::string a = small_suite().items.front().id, b = small_suite().items.back().id;
  focused(a, 20);
  CHECK(fitted());
  const json reused = focused(b, 20);
  CHECK_FALSE(fitted());
  CHECK(std::count(stages.begin(), stages.end(), "tuned lens: fitted before on these items, reused") == 1);
  CHECK(reused["case"]["item"] == b);
  focused(a, 21);  // other settings: a fit of their own
  CHECK(fitted());
  const json fresh = focused(b, 20);
  CHECK(fitted());
  CHECK(reused.dump() == fresh.dump());
}

TEST_CASE("head scores draw their sequences from the request's seed", "[runners]") {
  const json a = run("head-scores", {{"n_sequences", 2}}, 1);
  CHECK(a == run("head-scores", {{"n_sequences", 2}}, 1));
  CHECK(a["sequences"] != run("head-scores", {{"n_sequences", 2}}, 2)["sequences"]);
  CHECK(a["sequences"].size() == 2);
}

TEST_CASE("bad settings are refused with one line naming the setting", "[runners]") {
  const std::vector<std::pair<std::pair<std::string, json>, std::string>> cases = {
      {{"logit-lens", {{"top_kk", 3}}}, "logit-lens.top_kk: unknown setting"},
      {{"logit-lens", {{"split", "test"}}}, "logit-lens.split: expected one of \"all\" \"auto\" \"heldout\" \"trained\", found \"test\""},
      {{"logit-lens", {{"item", "no-such-item"}}}, "logit-lens.item: expected the id of an item of the suite, found \"no-such-item\""},
      {{"logit-lens", {{"prompt", "city of cyril nash"}}}, "logit-lens.answer: missing"},
      {{"logit-lens", {{"prompt", 5}, {"answer", "rome"}}}, "logit-lens.prompt: expected a string, found 5"},
      {{"logit-lens", {{"item", "city-trained-000"}, {"split", "all"}}}, "logit-lens.split: applies to the suite"},
      {{"attribution", {{"prompt", "city of cyril nash"}, {"answer", "rome quito"}}}, "attribution.answer: expected a single token, found 2 tokens"},
      {{"attention-flow", {{"foil", "rome"}}}, "attention-flow.foil: unknown setting"},
      {{"head-scores", {{"period", 40}}}, "head-scores.period: expected an integer in [2, 16], found 40"},
      {{"head-scores", {{"token_min", 50}, {"token_max", 20}}}, "head-scores.token_min: expected below token_max = 20, found 50"},
      {{"tuned-lens", {{"ridge", -1}}}, "tuned-lens.ridge: expected a number in [0.0, 1000000.0], found -1"},
      {{"tuned-lens", {{"objective", "adam"}}}, "tuned-lens.objective: expected one of \"kl\" \"least-squares\", found \"adam\""},
      {{"tuned-lens", {{"items_per_kind", 1}}}, "tuned-lens: kind \"city\" has 1 item; each kind needs at least 2"},
  };
  for (const auto& [call, message] : cases) {
    INFO(call.first << " " << call.second.dump());
    CHECK_THROWS_WITH(run(call.first, call.second), Catch::StartsWith(message));
  }
  const AnalysisRequest without_suite{shipped_session(), nullptr, 0, json::object(), {}};
  CHECK_THROWS_WITH(run_logit_lens(without_suite), "logit-lens: needs a suite (--suite FILE)");
}

// --- the report ----------------------------------------------------------------

TEST_CASE("a report holds the model, suite, seed, settings and results, and reads back", "[report]") {
  const json settings = {{"logit-lens", {{"items_per_kind", 2}}}, {"head-scores", {{"n_sequences", 2}}}};
  const json report = build_report(inputs({"logit-lens", "head-scores"}, settings, 42));
  CHECK(report["format"] == "strata-report");
  CHECK(report["version"] == kReportVersion);
  CHECK(report["engine_version"] == STRATA_VERSION);
  CHECK(report["model"]["id"] == kShippedId);
  CHECK(report["model"]["weights_sha256"] == shipped_session().model().weights_sha256);
  CHECK(report["model"]["config"]["n_layers"] == json::parse(read_file_text(kShippedDir + "/config.json"))["n_layer"]);
  CHECK(report["suite"] == json{{"model", small_suite().model}, {"sha256", std::string(64, 'a')},
                                {"n_items", small_suite().items.size()}});
  CHECK(report["seed"] == 42);
  CHECK(report["analyses"] == json{"logit-lens", "head-scores"});
  CHECK(report["settings"] == settings);
  CHECK(report["results"]["head-scores"] == run("head-scores", settings["head-scores"], 42));
  CHECK(report["results"]["logit-lens"]["by_kind"]["city"]["n"] == 2);

  const std::string text = report_text(report);
  CHECK(text.back() == '\n');
  CHECK(parse_report(text, "report.json") == report);
}

TEST_CASE("the same inputs give the same bytes; another seed gives other bytes", "[report]") {
  const json settings = {{"head-scores", {{"n_sequences", 2}}}, {"attribution", {{"items_per_kind", 1}}}};
  const std::string a = report_text(build_report(inputs({"attribution", "head-scores"}, settings, 5)));
  const std::string b = report_text(build_report(inputs({"attribution", "head-scores"}, settings, 5)));
  CHECK(a == b);
  CHECK(sha256_hex(reinterpret_cast<const uint8_t*>(a.data()), a.size()) ==
        sha256_hex(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
  CHECK(a != report_text(build_report(inputs({"attribution", "head-scores"}, settings, 6))));
  // Analyses without settings are recorded with {}.
  CHECK(json::parse(a)["settings"] == settings);
  CHECK(json::parse(report_text(build_report(inputs({"head-scores"}, json::object(), 5))))["settings"] ==
        json{{"head-scores", json::object()}});
}

TEST_CASE("report requests name the bad analysis or setting", "[report]") {
  CHECK_THROWS_WITH(build_report(inputs({"head-scores"}, {{"logit-lens", json::object()}}, 0)),
                    "settings: logit-lens: given, but logit-lens is not among the analyses to run");
  CHECK_THROWS_WITH(build_report(inputs({"head-scores"}, {{"telepathy", json::object()}}, 0)),
                    Catch::StartsWith("settings: unknown analysis \"telepathy\""));
  CHECK_THROWS_WITH(build_report(inputs({"head-scores"}, {{"head-scores", 3}}, 0)),
                    "settings: head-scores: expected an object of settings, found 3");
  CHECK_THROWS_WITH(build_report(inputs({"head-scores"}, {{"head-scores", {{"perod", 3}}}}, 0)),
                    "head-scores.perod: unknown setting");
  ReportInputs no_suite = inputs({"tuned-lens"}, json::object(), 0);
  no_suite.suite = nullptr;
  CHECK_THROWS_WITH(build_report(no_suite), "tuned-lens: needs a suite (--suite FILE)");

  CHECK_THROWS_WITH(parse_report_call(json::parse(R"({"analyses": ["x"]})"), "report request"),
                    Catch::StartsWith("report request: analyses: unknown analysis \"x\""));
  CHECK_THROWS_WITH(parse_report_call(json::parse(R"({"seed": -2})"), "report request"),
                    "report request: seed: expected integer in [0, 9007199254740991], found -2");
  CHECK_THROWS_WITH(parse_report_call(json::parse(R"({"sede": 2})"), "report request"),
                    "report request: unknown field \"sede\"");
  CHECK_THROWS_WITH(parse_analysis_call(json::parse(R"({"settings": []})"), "analysis request"),
                    "analysis request: settings: expected an object, found an array");
  const ReportCall call = parse_report_call(json::parse(R"({"seed": 9, "model_id": "m"})"), "report request");
  CHECK(call.request.analyses.size() == analysis_table().size());
  CHECK(call.request.seed == 9);
  CHECK(call.model_id == "m");

  CHECK(parse_seed_text("9007199254740991", "--seed") == kMaxSeed);
  CHECK_THROWS_WITH(parse_seed_text("9007199254740992", "--seed"),
                    "--seed: expected an integer in [0, 2^53 - 1], found \"9007199254740992\"");
  CHECK_THROWS_WITH(parse_seed_text("-1", "--seed"), Catch::StartsWith("--seed: expected"));
  CHECK_THROWS_WITH(parse_seed_text("1e3", "--seed"), Catch::StartsWith("--seed: expected"));
}

TEST_CASE("every malformed report is refused with one line naming the field", "[report]") {
  // tests/data/bad/report-*.json, written by make-bad-reports.py.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not-object", "r.json: expected an object, found an array"},
      {"format-wrong", "r.json: format: expected \"strata-report\", found string \"strata-suite\""},
      {"format-missing", "r.json: format: missing"},
      {"version-newer", "r.json: version: expected integer in [2, 2], found 3"},
      {"version-string", "r.json: version: expected integer in [2, 2], found string \"2\""},
      {"engine-version-empty", "r.json: engine_version: expected a string of 1 to 256 bytes"},
      {"unknown-field", "r.json: unknown field \"created\""},
      {"model-missing", "r.json: model: missing"},
      {"model-id-too-long", "r.json: model: id: expected a string of 1 to 256 bytes"},
      {"model-sha-short", "r.json: model: weights_sha256: expected 64 lowercase hex digits"},
      {"model-sha-uppercase", "r.json: model: weights_sha256: expected 64 lowercase hex digits"},
      {"model-config-not-object", "r.json: model: config: expected an object, found an array"},
      {"model-unknown-field", "r.json: model: unknown field \"path\""},
      {"suite-not-object", "r.json: suite: expected an object or null, found string \"suite.json\""},
      {"suite-n-items-negative", "r.json: suite: n_items: expected integer in [0, 16777216], found -1"},
      {"suite-sha-missing", "r.json: suite: sha256: missing"},
      {"seed-negative", "r.json: seed: expected integer in [0, 9007199254740991], found -1"},
      {"seed-too-large", "r.json: seed: expected integer in [0, 9007199254740991], found 9007199254740992"},
      {"seed-fraction", "r.json: seed: expected integer in [0, 9007199254740991], found 1.5"},
      {"analyses-not-array", "r.json: analyses: expected an array of analysis names, found string \"all\""},
      {"analyses-empty", "r.json: analyses: expected at least one analysis, found none"},
      {"analyses-unknown", "r.json: analyses[1]: unknown analysis \"mind-reading\""},
      {"analyses-repeated", "r.json: analyses[2]: logit-lens given twice"},
      {"analyses-not-string", "r.json: analyses[1]: expected an analysis name, found 5"},
      {"analyses-needs-suite", "r.json: suite: null, but tuned-lens needs a suite"},
      {"settings-missing-analysis", "r.json: settings: head-scores: missing"},
      {"settings-extra-analysis", "r.json: settings: \"attribution\" is not among the report's analyses"},
      {"settings-not-object", "r.json: settings: logit-lens: expected an object, found 3"},
      {"results-missing", "r.json: results: missing"},
      {"results-missing-analysis", "r.json: results: logit-lens: missing"},
      {"results-not-object", "r.json: results: head-scores: expected an object, found an array"},
      {"results-too-deep", "r.json: nesting deeper than 64 levels"},
      {"duplicate-key", "r.json: duplicate key \"seed\""},
      {"truncated", "r.json: invalid JSON"},
  };
  for (const auto& [file, message] : cases) {
    const std::string path = std::string(STRATA_SOURCE_DIR) + "/tests/data/bad/report-" + file + ".json";
    INFO("tests/data/bad/report-" << file << ".json");
    std::string error;
    try {
      parse_report(read_file_text(path), "r.json");
    } catch (const Error& e) {
      error = e.what();
    }
    CHECK_THAT(error, Catch::StartsWith(message));
    CHECK(error.find('\n') == std::string::npos);
  }
}

TEST_CASE("progress only moves forward, within [0, 1], over a whole report", "[report]") {
  std::vector<double> fractions;
  std::vector<std::string> stages;
  ReportInputs in = inputs({"logit-lens", "tuned-lens", "attribution"}, json::object(), 0);
  in.progress = [&](double f, const std::string& stage) {
    fractions.push_back(f);
    stages.push_back(stage);
  };
  build_report(in);
  // logit lens and attribution report once per item, the tuned lens once per held-out item
  REQUIRE(fractions.size() > 2 * small_suite().items.size());
  for (size_t i = 0; i < fractions.size(); ++i) {
    INFO(i << ": " << stages[i]);
    CHECK((fractions[i] >= 0 && fractions[i] <= 1));
    if (i > 0) CHECK(fractions[i] >= fractions[i - 1]);
  }
  CHECK(fractions.back() == 1.0);
  CHECK(stages.front().rfind("logit-lens: ", 0) == 0);
  CHECK(stages[stages.size() - 2].rfind("attribution: ", 0) == 0);
}
