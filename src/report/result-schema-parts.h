// Pieces shared by the result validators (result-schemas.h), and the
// validators themselves: observation analyses in result-schemas-observation.cpp,
// sweeps and neurons in result-schemas-sweeps.cpp, circuits in
// result-schemas-circuits.cpp, the study and probes in result-schemas-studies.cpp.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "report/result-schemas.h"

namespace strata::schema {

constexpr double kBig = 1e15;         // bound on any figure (logits, attributions, statistics)
constexpr size_t kMaxKinds = 1024;    // kinds (and families) in one result
constexpr size_t kMaxText = 4096;     // bytes of a name, label or token
constexpr int64_t kMaxUnits = 1 << 22;

double fraction(const Checked& c);                      // in [0, 1] (a rounding hair outside allowed)
std::optional<double> fraction_or_null(const Checked& c);
std::optional<double> signed_fraction_or_null(const Checked& c);  // in [-1, 1] (differences of fractions)
double real(const Checked& c);                          // finite, |x| <= kBig
std::optional<double> real_or_null(const Checked& c);
int64_t token_id(const Checked& c, const ReportShape& s);
std::string family(const Checked& c);                   // recall | reasoning | mixed
int64_t suite_size(const ReportShape& s);               // the suite's items (0 without a suite)
// An array of exactly n values, each checked.
void numbers(const Checked& c, size_t n, const std::function<void(const Checked&)>& value);

// {name: value} with at most kMaxKinds names, each among `allowed` when given; returns the names.
std::set<std::string> kind_map(const Checked& map, const std::set<std::string>* allowed,
                               const std::function<void(const Checked&)>& value);

// An observation result's optional "answered_wrong": {kind: items left out as answered wrong}.
void answered_wrong_counts(const Checked& result, const ReportShape& s);

// A result's optional "budget", the cut to a time budget (analysis/sweeps/sweep-budget.h):
// {"budget_seconds", "estimated_seconds_all", "items_per_kind_all", "estimated_seconds",
// "items_per_kind"}, and with `objective` the tuned lens's "objective" as run.
void time_budget(const Checked& result, bool objective = false);

// A sweep's "items": {"kinds": [{"kind", "family", "split", "n"}], "families": [...], "n_pos"}.
struct SweepItems {
  std::set<std::string> kinds, families;
  int64_t n_pos = 0;
  int64_t n_items = 0;  // at most the suite's
};
SweepItems sweep_items(const Checked& items, const ReportShape& s);
// {"by_kind": {kind: v}, "by_family": {family: v}} over the sweep's kinds and families.
void by_kind_and_family(const Checked& c, const SweepItems& items, const std::function<void(const Checked&)>& value);
// "n_units" in [0, max_units] and "units" an array of at most that many; returns n_units.
int64_t units_header(const Checked& result, int64_t max_units);
// units[i].unit: increasing, below n_units.
void unit_index(const Checked& unit, int64_t n_units, int64_t* previous);
// A sweep's echoed settings: an object; its "shard" [index, count] when present.
void shard_settings(const Checked& settings);
// The study's item description (study-features.h's describe_items); returns the counts.
struct StudyItemCounts {
  int64_t recall = 0, reasoning = 0, mixed = 0;
  std::set<std::string> kinds;
  int64_t total() const { return recall + reasoning + mixed; }
};
StudyItemCounts study_items(const Checked& items, const ReportShape& s);
void hook_list(const Checked& c, size_t max);

void check_logit_lens(const Checked& result, const ReportShape& shape);
void check_tuned_lens(const Checked& result, const ReportShape& shape);
void check_attention_flow(const Checked& result, const ReportShape& shape);
void check_attribution(const Checked& result, const ReportShape& shape);
void check_head_scores(const Checked& result, const ReportShape& shape);
void check_ablation(const Checked& result, const ReportShape& shape);
void check_patching(const Checked& result, const ReportShape& shape);
void check_causal_tracing(const Checked& result, const ReportShape& shape);
void check_neurons(const Checked& result, const ReportShape& shape);
void check_circuits(const Checked& result, const ReportShape& shape);
void check_study(const Checked& result, const ReportShape& shape);
void check_probes(const Checked& result, const ReportShape& shape);

}  // namespace strata::schema
