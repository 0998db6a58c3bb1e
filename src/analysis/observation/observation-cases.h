// What the observation analyses share: the one prompt, the one suite item or
// the suite's items by kind they look at (read from their settings), the
// per-kind lens averages at the answer position, and progress reports.
// Used by observation-runners.cpp and tuned-lens-runner.cpp only.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/shared/item-selection.h"
#include "analysis/observation/logit-lens.h"
#include "analysis/observation/tuned-lens.h"

namespace strata {

// One prompt with its answer (and foil), from the settings or a suite item.
struct Case {
  std::string id;    // the item's id, or "" for a prompt given in the settings
  std::string kind;  // the item's kind, or ""
  std::vector<int32_t> tokens;
  int32_t answer = 0;
  std::optional<int32_t> foil;
};

Case item_case(const Session& session, const SuiteItem& item);

struct KindCases {
  std::string family;
  std::vector<Case> cases;
};

// The rows of the focus: prompt, answer, foil (with `foil`) and item.
SettingsTable focus_settings(bool foil);
// The rows of the suite's items (analysis/shared/item-selection.h), applying
// to the suite only (`suite_only`) or always (the tuned lens is always fitted
// on the suite).
SettingsTable suite_case_settings(bool suite_only);
// "top_k" (with a prompt or item).
Setting top_k_setting();

// How every observation runner reads its settings, by its table: the focus
// ("prompt"/"answer"/"foil" or "item") is taken out first and a reader covers the rest;
// the runner then looks at that one case or at the suite's cases by kind. It
// holds the settings its reader refers to, so it is neither copied nor moved.
class ObservationSettings {
 public:
  ObservationSettings(const AnalysisRequest& request, const std::string& analysis, const SettingsTable& table);
  ObservationSettings(const ObservationSettings&) = delete;
  ObservationSettings& operator=(const ObservationSettings&) = delete;

  // The one case the settings name; nullopt when they name none (the suite is meant).
  const std::optional<Case>& focus() const { return focus_; }
  SettingsReader& reader() { return reader_; }

  // For the focused case: refuses the settings only a suite run reads (the rows scoped to the suite).
  void refuse_suite_settings() const;

  // The item selection's settings; then every setting must have been read.
  ItemSelection read_selection();
  // The suite's items the selection draws, by kind (kinds in name order,
  // items in suite order). `answered_wrong` gets {kind: n left out} when the
  // suite marks the items the model answers wrong, and null otherwise.
  std::map<std::string, KindCases> suite_cases(const ItemSelection& selection, nlohmann::json& answered_wrong) const;
  // Both: read_selection(), then suite_cases().
  std::map<std::string, KindCases> suite_cases(nlohmann::json& answered_wrong);

 private:
  const AnalysisRequest& request_;
  std::string analysis_;
  nlohmann::json settings_;
  std::optional<Case> focus_;
  SettingsReader reader_;
};

// `result` with "answered_wrong" set to the counts suite_cases gave, when there are marks.
nlohmann::json with_answered_wrong(nlohmann::json result, const nlohmann::json& answered_wrong);
size_t count_cases(const std::map<std::string, KindCases>& by_kind);

nlohmann::json case_json(const Session& session, const Case& c);

// Calls request.report for case i of n, the cases spanning [from, to] of the analysis.
void report_case(const AnalysisRequest& request, const std::string& what, size_t i, size_t n, double from = 0.0,
                 double to = 1.0);

std::vector<double> divided(std::vector<double> sums, size_t n);

// Per boundary, the answer's probability and rank, whether it is the top
// token, and the KL to the model's output, at the last prompt position,
// averaged over each kind's items. With a tuned lens the residuals are mapped first.
nlohmann::json lens_by_kind(const AnalysisRequest& request, const std::map<std::string, KindCases>& by_kind,
                            const TunedLens* tuned, const std::string& what, double progress_from = 0.0);

// top_k from the settings; the case's answer as the target.
LensSettings lens_settings(SettingsReader& reader, const Case& c);

}  // namespace strata
