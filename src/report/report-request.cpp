// Reading analysis and report requests from JSON and command-line text.
#include "report/report-request.h"

#include "analysis/registry.h"
#include "base/error.h"
#include "io/json-reader.h"
#include "report/json-checks.h"

namespace strata {

using nlohmann::json;

namespace {

uint64_t seed_of(const json& request, const std::string& label) {
  if (!json_has(request, "seed")) return 0;
  return static_cast<uint64_t>(json_get_int(request, "seed", label, 0, static_cast<int64_t>(kMaxSeed)));
}

}  // namespace

AnalysisCall parse_analysis_call(const json& request, const std::string& label) {
  Checked(request, label).only_fields({"settings", "seed"});
  AnalysisCall call;
  if (json_has(request, "settings")) {
    call.settings = request.at("settings");
    if (!call.settings.is_object()) fail_expected(label + ": settings", "an object", json_describe(call.settings));
  }
  call.seed = seed_of(request, label);
  return call;
}

ReportCall parse_report_call(const json& request, const std::string& label) {
  Checked(request, label).only_fields({"analyses", "settings", "seed", "model_id", "results"});
  ReportCall call;
  call.request.analyses =
      analysis_names_from_json(json_has(request, "analyses") ? request.at("analyses") : json("all"), label + ": analyses");
  if (json_has(request, "settings"))
    call.request.settings = checked_settings_by_name(request.at("settings"), call.request.analyses, label + ": settings");
  call.request.seed = seed_of(request, label);
  if (json_has(request, "results"))
    call.request.computed = checked_settings_by_name(request.at("results"), call.request.analyses, label + ": results", "results");
  if (json_has(request, "model_id")) {
    call.model_id = json_get_string(request, "model_id", label);
    if (call.model_id.empty() || call.model_id.size() > 256)
      fail_expected(label + ": model_id", "a string of 1 to 256 bytes", json_describe(request.at("model_id")));
  }
  return call;
}

uint64_t parse_seed_text(const std::string& text, const std::string& where) {
  const std::string expected = "an integer in [0, 2^53 - 1]";
  if (text.empty() || text.size() > 16) fail_expected(where, expected, json(text).dump());
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') fail_expected(where, expected, json(text).dump());
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > kMaxSeed) fail_expected(where, expected, json(text).dump());
  return value;
}

json checked_settings_by_name(const json& settings, const std::vector<std::string>& analyses, const std::string& where,
                              const std::string& what) {
  if (!settings.is_object()) fail_expected(where, "an object of " + what + " by analysis name", json_describe(settings));
  for (const auto& [name, value] : settings.items()) {
    analysis_named(name, where);
    bool among = false;
    for (const std::string& a : analyses) among = among || a == name;
    if (!among) throw Error(where + ": " + name + ": given, but " + name + " is not among the analyses to run");
    if (!value.is_object()) fail_expected(where + ": " + name, "an object of " + what, json_describe(value));
  }
  return settings;
}

}  // namespace strata
