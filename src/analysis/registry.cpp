// The table of named analyses and the parsing of analysis lists.
#include "analysis/registry.h"

#include <set>

#include "analysis/sweeps/ablation.h"
#include "analysis/sweeps/causal-tracing.h"
#include "analysis/circuits/circuits.h"
#include "analysis/observation/observation-runners.h"
#include "analysis/sweeps/patching.h"
#include "analysis/study/neurons.h"
#include "analysis/study/probes.h"
#include "analysis/study/study.h"
#include "base/error.h"
#include "io/json-reader.h"

namespace strata {

const std::vector<AnalysisEntry>& analysis_table() {
  // name, runner, needs a suite, reads the suite's items, sweep, description, settings
  static const std::vector<AnalysisEntry> table = {
      {"logit-lens", run_logit_lens, false, true, false,
       "the final norm and unembedding applied at every layer boundary: answer probability, rank, KL to the output",
       logit_lens_settings},
      {"tuned-lens", run_tuned_lens, true, true, false,
       "a per-layer affine map fitted on every kind of the suite (KL to the output) before the logit lens; held-out KL per kind and layer",
       tuned_lens_settings},
      {"attention-flow", run_attention_flow, false, true, false,
       "attention rollout and max-flow from the answer position to every input token", attention_flow_settings},
      {"attribution", run_attribution, false, true, false,
       "direct logit attribution of the answer (and answer minus foil) to embeddings, heads and MLPs",
       attribution_settings},
      {"head-scores", run_head_scores, false, false, false,
       "previous-token and induction scores of every head on repeated random tokens", head_scores_settings},
      {"ablation", run_ablation, true, true, true,
       "knock out each layer, attention block, MLP, head (and neuron) in turn: accuracy per kind", ablation_settings},
      {"patching", run_patching, true, true, true,
       "copy clean activations into the corrupt run, site by site: normalised logit-difference recovery",
       patching_settings},
      {"causal-tracing", run_causal_tracing, true, true, true,
       "noise the subject's embeddings, restore one state at a time: indirect effect on the answer",
       causal_tracing_settings},
      {"circuits", run_circuits, true, true, false,
       "search a recall and a reasoning circuit, judge them on test items against random circuits: effects with 95% "
       "intervals and a verdict",
       circuits_settings},
      {"study", run_study, true, true, false,
       "the study's per-layer and per-head features, recall vs reasoning: Cohen's d, Mann-Whitney U, labels beside null contrasts",
       study_settings},
      {"neurons", run_neurons, true, true, false,
       "the most task-specific MLP neurons per layer and their activation distributions", neurons_settings},
      {"probes", run_probes, true, true, false,
       "per-layer logistic probes for family and answer: held-out accuracy, selectivity, random-model baseline",
       probes_settings},
  };
  return table;
}

const AnalysisEntry* find_analysis(const std::string& name) {
  for (const AnalysisEntry& e : analysis_table())
    if (name == e.name) return &e;
  return nullptr;
}

const AnalysisEntry& analysis_named(const std::string& name, const std::string& where) {
  if (const AnalysisEntry* e = find_analysis(name)) return *e;
  std::string known;
  for (const AnalysisEntry& e : analysis_table()) known += std::string(known.empty() ? "" : ", ") + e.name;
  throw Error(where + ": unknown analysis " + nlohmann::json(name).dump() + " (known: " + known + ")");
}

namespace {

std::vector<std::string> in_table_order(const std::vector<std::string>& names, const std::string& where) {
  if (names.empty()) fail_expected(where, "at least one analysis name, or \"all\"", "none");
  std::set<std::string> seen;
  for (const std::string& name : names) {
    analysis_named(name, where);
    if (!seen.insert(name).second) throw Error(where + ": " + nlohmann::json(name).dump() + " given twice");
  }
  std::vector<std::string> ordered;
  for (const AnalysisEntry& e : analysis_table())
    if (seen.count(e.name)) ordered.push_back(e.name);
  return ordered;
}

std::vector<std::string> all_names() {
  std::vector<std::string> names;
  for (const AnalysisEntry& e : analysis_table()) names.push_back(e.name);
  return names;
}

}  // namespace

std::vector<std::string> analysis_names_from_list(const std::string& list, const std::string& where) {
  if (list == "all") return all_names();
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    names.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return in_table_order(names, where);
}

std::vector<std::string> analysis_names_from_json(const nlohmann::json& value, const std::string& where) {
  if (value.is_string() && value.get<std::string>() == "all") return all_names();
  if (!value.is_array() || value.size() > 64) fail_expected(where, "\"all\" or an array of analysis names", json_describe(value));
  std::vector<std::string> names;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) fail_expected(where + "[" + std::to_string(i) + "]", "an analysis name", json_describe(value[i]));
    names.push_back(value[i].get<std::string>());
  }
  return in_table_order(names, where);
}

nlohmann::json analysis_list_json() {
  nlohmann::json list = nlohmann::json::array();
  for (const AnalysisEntry& e : analysis_table()) {
    list.push_back({{"name", e.name},
                    {"needs_suite", e.needs_suite},
                    {"reads_items", e.reads_items},
                    {"sweep", e.sweep},
                    {"description", e.description},
                    {"settings", e.settings().to_json()},
                    {"defaults", e.settings().defaults()}});
  }
  return list;
}

}  // namespace strata
