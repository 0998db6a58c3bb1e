// Requests to run analyses, as the command line and the page spell them, read
// into the core's types with one-line errors that name the field.
//
//   analysis request (one analysis):  {"settings": {...}, "seed": N}
//   report request (several):         {"analyses": ["a", "b"] | "all", "settings": {"a": {...}},
//                                      "seed": N, "model_id": "<id>"}
// Every field may be left out: settings default to {}, the seed to 0,
// analyses to "all", model_id to "model".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "report/report.h"

namespace strata {

struct AnalysisCall {
  nlohmann::json settings = nlohmann::json::object();
  uint64_t seed = 0;
};

AnalysisCall parse_analysis_call(const nlohmann::json& request, const std::string& label);

struct ReportCall {
  ReportRequest request;
  std::string model_id = "model";
};

ReportCall parse_report_call(const nlohmann::json& request, const std::string& label);

// A seed given as text (--seed): a decimal integer in [0, 2^53 - 1].
uint64_t parse_seed_text(const std::string& text, const std::string& where);

// {name: {...}}: every name an analysis among `analyses`, every value an object
// (`what` names the values in a message: settings, results).
// Checked before anything runs, so a misspelt name fails at once.
nlohmann::json checked_settings_by_name(const nlohmann::json& settings, const std::vector<std::string>& analyses,
                                        const std::string& where,
                                        const std::string& what = "settings");

}  // namespace strata
