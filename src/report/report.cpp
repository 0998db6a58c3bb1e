// Building a report from a session and a request, and validating one read
// back from a file.
#include "report/report.h"

#include <algorithm>
#include <utility>

#include "analysis/registry.h"
#include "base/error.h"
#include "io/json-reader.h"
#include "model/forward.h"
#include "report/json-checks.h"
#include "report/report-request.h"
#include "report/result-schemas.h"

namespace strata {

using nlohmann::json;

namespace {

// The model's architecture and sizes: what info() says, less the hook list
// and the load report.
json model_config_json(const Session& session) {
  json info = session.info();
  json config = json::object();
  for (const char* key : {"model_type", "family", "n_layers", "d_model", "n_heads", "n_kv_heads", "d_head", "d_mlp",
                          "d_vocab", "n_ctx", "tied_embeddings", "parameters", "tokenizer"})
    config[key] = info.at(key);
  return config;
}

// --- validation ----------------------------------------------------------------

constexpr size_t kMaxIdChars = 256;

const json& member(const json& object, const std::string& key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw Error(where + ": " + key + ": missing");
  return *it;
}

std::string bounded_string(const json& object, const char* key, const std::string& where, size_t min_chars) {
  const std::string s = json_get_string(object, key, where);
  if (s.size() < min_chars || s.size() > kMaxIdChars)
    fail_expected(where + ": " + key, "a string of " + std::to_string(min_chars) + " to " + std::to_string(kMaxIdChars) + " bytes",
                  json_describe(object.at(key)));
  return s;
}

void check_sha256(const json& object, const char* key, const std::string& where) {
  const json& v = member(object, key, where);
  const bool ok = v.is_string() && v.get_ref<const std::string&>().size() == 64 &&
                  std::all_of(v.get_ref<const std::string&>().begin(), v.get_ref<const std::string&>().end(),
                              [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (!ok) fail_expected(where + ": " + key, "64 lowercase hex digits (a SHA-256)", json_describe(v));
}

void check_model(const json& model, const std::string& where) {
  Checked(model, where).only_fields({"id", "weights_sha256", "config"});
  bounded_string(model, "id", where, 1);
  check_sha256(model, "weights_sha256", where);
  member(model, "config", where);  // checked in depth by report_shape
}

void check_suite(const json& suite, const std::string& where) {
  if (suite.is_null()) return;
  if (!suite.is_object()) fail_expected(where, "an object or null", json_describe(suite));
  Checked(suite, where).only_fields({"model", "sha256", "n_items"});
  bounded_string(suite, "model", where, 0);
  check_sha256(suite, "sha256", where);
  json_get_int(suite, "n_items", where, 0, 1 << 24);
}

// {name: object} with exactly the report's analyses as keys.
void check_by_analysis(const json& value, const std::vector<std::string>& analyses, const std::string& where) {
  Checked(value, where).object();
  for (const auto& [key, v] : value.items()) {
    if (std::find(analyses.begin(), analyses.end(), key) == analyses.end())
      throw Error(where + ": " + json(key).dump() + " is not among the report's analyses");
    Checked(v, where + ": " + key).object();
  }
  for (const std::string& name : analyses)
    if (!value.contains(name)) throw Error(where + ": " + name + ": missing");
}

// Every prompt of the suite fits the model, checked before any analysis runs,
// so that an item too long for the model is named rather than failing a run.
void check_suite_prompts(const Session& session, const Suite& suite) {
  if (!session.model().tokenizer) return;  // the analyses say that they need one
  const int64_t max_tokens = max_prompt_tokens(session.model().config);
  for (const SuiteItem& item : suite.items)
    for (const auto& [field, text] : {std::pair<const char*, const std::string&>{"prompt", item.prompt},
                                      {"corrupt_prompt", item.corrupt_prompt}}) {
      const std::string where = "suite item \"" + item.id + "\": " + field;
      const int64_t n = static_cast<int64_t>(session.tokenize(text, where).size());
      if (n > max_tokens)
        fail_expected(where, "at most " + std::to_string(max_tokens) + " tokens (the model's limit)", std::to_string(n));
    }
}

}  // namespace

json suite_section(const Suite& suite, const std::string& sha256) {
  return {{"model", suite.model}, {"sha256", sha256}, {"n_items", suite.items.size()}};
}

json suite_summary(const Suite& suite, const std::string& sha256) {
  json kinds = json::object();
  for (const auto& [name, kind] : suite.kinds) kinds[name] = {{"family", kind.family}, {"optional", kind.optional}, {"n_items", 0}};
  for (const SuiteItem& item : suite.items) kinds[item.kind]["n_items"] = kinds[item.kind]["n_items"].get<int64_t>() + 1;
  json summary = suite_section(suite, sha256);
  summary["kinds"] = kinds;
  return summary;
}

json build_report(const ReportInputs& in) {
  const std::vector<std::string>& names = in.request.analyses;
  if (names.empty()) throw Error("analyses: expected at least one analysis, found none");
  const json settings = checked_settings_by_name(in.request.settings, names, "settings");
  if (in.request.seed > kMaxSeed) fail_expected("seed", "an integer in [0, 2^53 - 1]", std::to_string(in.request.seed));
  for (const std::string& name : names)
    if (analysis_named(name, "analyses").needs_suite && !in.suite) throw Error(name + ": needs a suite (--suite FILE)");

  if (in.suite) check_suite_prompts(in.session, *in.suite);

  json results = json::object(), used = json::object();
  const double n = static_cast<double>(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const AnalysisEntry& entry = analysis_named(name, "analyses");
    ProgressFn progress;
    if (in.progress)
      progress = [&, i](double f, const std::string& stage) {
        in.progress((static_cast<double>(i) + std::clamp(f, 0.0, 1.0)) / n, name + ": " + stage);
      };
    const json own = settings.contains(name) ? settings.at(name) : json::object();
    const AnalysisRequest request{in.session, in.suite, in.request.seed, own, progress};
    results[name] = in.request.computed.contains(name) ? in.request.computed.at(name) : entry.run(request);
    used[name] = own;
  }
  if (in.progress) in.progress(1.0, "done");

  const json suite = in.suite ? suite_section(*in.suite, in.suite_sha256) : json(nullptr);
  return {{"format", "strata-report"},
          {"version", kReportVersion},
          {"engine_version", STRATA_VERSION},
          {"model",
           {{"id", in.model_id},
            {"weights_sha256", in.session.model().weights_sha256},
            {"config", model_config_json(in.session)}}},
          {"suite", suite},
          {"seed", in.request.seed},
          {"analyses", names},
          {"settings", used},
          {"results", results}};
}

std::string report_text(const json& report) { return report.dump() + "\n"; }

json parse_report(const std::string& text, const std::string& label) {
  json report = parse_json_strict(text, label);
  Checked(report, label).only_fields(
      {"format", "version", "engine_version", "model", "suite", "seed", "analyses", "settings", "results"});
  const json& format = member(report, "format", label);
  if (format != "strata-report") fail_expected(label + ": format", "\"strata-report\"", json_describe(format));
  json_get_int(report, "version", label, kReportVersion, kReportVersion);
  bounded_string(report, "engine_version", label, 1);
  check_model(member(report, "model", label), label + ": model");
  check_suite(member(report, "suite", label), label + ": suite");
  json_get_int(report, "seed", label, 0, static_cast<int64_t>(kMaxSeed));

  const json& list = member(report, "analyses", label);
  if (!list.is_array()) fail_expected(label + ": analyses", "an array of analysis names", json_describe(list));
  std::vector<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = label + ": analyses[" + std::to_string(i) + "]";
    if (!list[i].is_string()) fail_expected(where, "an analysis name", json_describe(list[i]));
    const std::string name = list[i].get<std::string>();
    const AnalysisEntry& entry = analysis_named(name, where);
    if (std::find(names.begin(), names.end(), name) != names.end()) throw Error(where + ": " + name + " given twice");
    if (entry.needs_suite && report.at("suite").is_null())
      throw Error(label + ": suite: null, but " + name + " needs a suite");
    names.push_back(name);
  }
  if (names.empty()) fail_expected(label + ": analyses", "at least one analysis", "none");
  check_by_analysis(member(report, "settings", label), names, label + ": settings");
  check_by_analysis(member(report, "results", label), names, label + ": results");

  // Every result in depth, against the model and the suite the report names.
  const json& suite = report.at("suite");
  const std::optional<int64_t> suite_items =
      suite.is_null() ? std::nullopt : std::optional<int64_t>(suite.at("n_items").get<int64_t>());
  const ReportShape shape = report_shape(Checked(report.at("model").at("config"), label + ": model: config"), suite_items);
  for (const std::string& name : names)
    check_result(name, Checked(report.at("results").at(name), label + ": results: " + name), shape);
  return report;
}

}  // namespace strata
