// Fuzz target: a run request as the page or the CLI sends it (capture list and
// interventions), validated and applied to a small model.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "io/json-reader.h"
#include "model/session.h"
#include "../unit/tiny-model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const strata::Session session(strata::testing::tiny_model(strata::Family::Llama));
  try {
    const auto request = strata::parse_json_strict(std::string(reinterpret_cast<const char*>(data), size), "request");
    const strata::RunOptions options = session.parse_run_options(request, "request");
    session.run({1, 2, 3, 4, 5}, options);
  } catch (const strata::Error&) {
  }
  return 0;
}
