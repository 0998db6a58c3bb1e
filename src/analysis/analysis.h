// The shape every named analysis shares, so that `strata analyze`, the wasm
// bindings and the page call the same code with the same inputs.
//
// An analysis takes a loaded session, optionally a suite, a seed and its own
// settings object, and returns JSON that goes into the report's "results"
// under its name. It must be deterministic given (model, suite, seed,
// settings): reports are reproducible byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "io/suite.h"
#include "model/session.h"

namespace strata {

// fraction in [0, 1] of this analysis; stage names what it is doing ("patching L2").
using ProgressFn = std::function<void(double fraction, const std::string& stage)>;

struct AnalysisRequest {
  const Session& session;
  const Suite* suite = nullptr;  // analyses that need one throw Error when it is missing
  uint64_t seed = 0;
  nlohmann::json settings = nlohmann::json::object();  // this analysis's own settings
  ProgressFn progress;  // may be empty

  void report(double fraction, const std::string& stage) const {
    if (progress) progress(fraction, stage);
  }
  const Suite& require_suite(const std::string& analysis) const;
};

// The ids of the suite's items the loaded model answers wrong ("answered_wrong",
// io/suite.h), which every analysis over the suite's items leaves out, as the
// study does (an item looked at on its own is shown whatever the answer); empty
// when the suite has no marks, or when `keep` (the setting "answered": "all").
// Throws Error when the marks are another model's.
const std::set<std::string>& answered_wrong(const Session& session, const Suite& suite, bool keep = false);

// Typed, ranged access to an analysis's settings object. Every key read is
// remembered; finish() rejects the keys nobody read, so a misspelt setting is
// an error naming it rather than silently ignored. Errors read
// "<analysis>.<key>: expected ..., found ...".
class SettingsReader {
 public:
  SettingsReader(const nlohmann::json& settings, std::string analysis);

  int get_int(const std::string& key, int fallback, int min_value, int max_value);
  double get_double(const std::string& key, double fallback, double min_value, double max_value);
  bool get_bool(const std::string& key, bool fallback);
  std::string get_choice(const std::string& key, const std::string& fallback, const std::set<std::string>& choices);
  void finish() const;

 private:
  const nlohmann::json* find(const std::string& key);
  std::string where(const std::string& key) const { return analysis_ + "." + key; }

  const nlohmann::json& settings_;
  std::string analysis_;
  std::set<std::string> read_;
};

// The setting "answered": "right" (default: leave out the items marked wrong) | "all"; true for "all".
bool read_keep_answered_wrong(SettingsReader& reader);

}  // namespace strata
