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

#include "analysis/settings.h"
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

}  // namespace strata
