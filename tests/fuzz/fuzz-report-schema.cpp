// Fuzz target: the in-depth schema of a report's results (result-schemas.h)
// alone, without the rest of a report around it, so that mutations reach the
// validators instead of the report's header checks. The input is
//   {"analysis": name, "config": a report's model config, "suite_items": n or null, "result": {...}}
// checked as parse_report checks each result. The seeds (corpus/report-schema)
// are every analysis's result from real reports of the shipped models.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "io/json-reader.h"
#include "report/json-checks.h"
#include "report/result-schemas.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const nlohmann::json input = strata::parse_json_strict(std::string(reinterpret_cast<const char*>(data), size), "input");
    const strata::Checked c(input, "input");
    c.only_fields({"analysis", "config", "suite_items", "result"});
    const std::string analysis = c.field("analysis").string(64);
    std::optional<int64_t> suite_items;
    if (!c.field("suite_items").is_null()) suite_items = c.field("suite_items").integer(0, 1 << 24);
    const strata::ReportShape shape = strata::report_shape(c.field("config"), suite_items);
    strata::check_result(analysis, c.field("result"), shape);
  } catch (const strata::Error&) {
  }
  return 0;
}
