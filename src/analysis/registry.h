// The table of named analyses: the one list that `strata analyze`, the wasm
// bindings, the report format and the page share.
//
// Every entry runs through the same signature (analysis.h): a request in,
// JSON out. `all` means every entry, in the table's fixed order, which is
// also the order of a report's "analyses".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"

namespace strata {

using AnalysisRunner = nlohmann::json (*)(const AnalysisRequest&);

struct AnalysisEntry {
  const char* name;
  AnalysisRunner run;
  bool needs_suite;  // refuses to run without one
  // reads the suite's items (every time with needs_suite, else when no prompt
  // or item is focused), so it takes the item settings, "answered" among them
  bool reads_items;
  bool sweep;        // an intervention sweep: accepts settings.shard to split its work
  const char* description;  // one line
  const SettingsTable& (*settings)();  // its declared settings (settings.h)
};

// Every analysis, in the fixed order of `all`.
const std::vector<AnalysisEntry>& analysis_table();

// nullptr when no analysis has that name.
const AnalysisEntry* find_analysis(const std::string& name);

// The entry of that name; otherwise Error "<where>: unknown analysis "x" (known: a, b, ...)".
const AnalysisEntry& analysis_named(const std::string& name, const std::string& where);

// "all" or "a,b,c" (as on the command line), or the JSON "all" / ["a", "b"]
// (as in a request): the names, checked, without repeats, in table order.
std::vector<std::string> analysis_names_from_list(const std::string& list, const std::string& where);
std::vector<std::string> analysis_names_from_json(const nlohmann::json& value, const std::string& where);

// [{"name", "needs_suite", "reads_items", "sweep", "description", "settings": [...] (SettingsTable::to_json),
//   "defaults": {name: default}}] in table order.
nlohmann::json analysis_list_json();

}  // namespace strata
