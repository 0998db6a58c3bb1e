// The shape of every analysis's result in a report, checked in depth against
// the model and the suite the report names, so that nothing reading a
// validated report (the page's views, the command line) can index past what
// the model has or allocate from an unchecked count.
//
// A result is checked against a ReportShape taken from the report's own
// model.config (itself range-checked) and suite.n_items: layers, heads and
// boundaries are in range, positions below the result's n_pos (at most
// n_ctx), token ids below d_vocab, neurons below d_mlp; lists have the
// lengths that the model and the result's own counts imply; figures are
// finite, probabilities and accuracies in [0, 1], and a figure over nothing
// is null. Errors are one line naming the JSON path:
//   report: results: patching: units[3]: position: expected an integer in [0, 15], found 999
//
// Each analysis has its validator in result_validators(); a new analysis
// without one fails at the first use of the table, so none goes unchecked.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "report/json-checks.h"

namespace strata {

// What a report's results are checked against.
struct ReportShape {
  std::string family;  // "gpt2" | "llama"
  int64_t n_layers = 0, d_model = 0, n_heads = 0, n_kv_heads = 0, d_head = 0, d_mlp = 0, d_vocab = 0, n_ctx = 0;
  std::optional<int64_t> suite_items;  // the suite's item count; nullopt without a suite
};

// Reads and range-checks a report's "model": {"config": ...} section.
ReportShape report_shape(const Checked& model_config, const std::optional<int64_t>& suite_items);

using ResultValidator = void (*)(const Checked& result, const ReportShape& shape);
// Analysis name -> its validator; every registered analysis has one.
const std::map<std::string, ResultValidator>& result_validators();

// Checks `result` of `analysis` in depth.
void check_result(const std::string& analysis, const Checked& result, const ReportShape& shape);

}  // namespace strata
