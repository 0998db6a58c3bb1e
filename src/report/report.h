// The report: one versioned JSON file holding everything needed to reproduce
// a set of analyses and to reopen their results in the page.
//
//   {"format": "strata-report", "version": 2, "engine_version": "0.1.0",
//    "model": {"id": "<folder or manifest id>", "weights_sha256": "<64 hex>",
//              "config": {"model_type", "family", "n_layers", "d_model", ...}},
//    "suite": {"model": "<suite's model>", "sha256": "<64 hex of the file>", "n_items": N} | null,
//    "seed": N,                               integer in [0, 2^53 - 1] (exact in JavaScript)
//    "analyses": ["logit-lens", ...],         registry names, in the registry's order
//    "settings": {"<analysis>": {...}},       one object per analysis ({} for the defaults)
//    "results": {"<analysis>": {...}}}        what each analysis returned
//
// Nothing in it depends on when or how fast it was made: the same model,
// suite, seed, analyses and settings give the same bytes (objects keep their
// keys sorted; doubles are written shortest-round-trip).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"

namespace strata {

constexpr int kReportVersion = 2;  // 2: ablation units list their sites (a layer is its heads and MLP)
constexpr uint64_t kMaxSeed = (uint64_t{1} << 53) - 1;

// What to run: the names in registry order, the settings by name, the seed.
struct ReportRequest {
  std::vector<std::string> analyses;
  nlohmann::json settings = nlohmann::json::object();  // {name: object}; only names among `analyses`
  uint64_t seed = 0;
  // {name: result} this engine already computed for this model, suite, settings
  // and seed (the page's analyses on screen): written as they are, not run again.
  nlohmann::json computed = nlohmann::json::object();
};

struct ReportInputs {
  const Session& session;
  std::string model_id;
  const Suite* suite = nullptr;
  std::string suite_sha256;  // of the suite file's bytes; used when suite is set
  ReportRequest request;
  ProgressFn progress;  // fraction of the whole report; stage "<analysis>: <its stage>"
};

// The report's "suite" section: {"model", "sha256", "n_items"}.
nlohmann::json suite_section(const Suite& suite, const std::string& sha256);
// The same with each kind's family and item count, for a page that just loaded the suite:
// {"model", "sha256", "n_items", "kinds": {kind: {"family", "optional", "n_items"}}}.
nlohmann::json suite_summary(const Suite& suite, const std::string& sha256);

// Runs every requested analysis and assembles the report.
nlohmann::json build_report(const ReportInputs& inputs);

// The report as written to a file: compact JSON and a newline.
std::string report_text(const nlohmann::json& report);

// Validates a report (strict JSON, every top-level field's type and range,
// known analysis names, settings and results for exactly those analyses, and
// every result in depth against the report's model config and suite:
// result-schemas.h) and returns it. Errors are one line naming the JSON path:
// "<label>: results: patching: units[3]: position: expected ..., found ...".
nlohmann::json parse_report(const std::string& text, const std::string& label);

}  // namespace strata
