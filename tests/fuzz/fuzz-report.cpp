// Fuzz target: report parsing and validation (the page opens reports through it).
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "report/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    strata::parse_report(std::string(reinterpret_cast<const char*>(data), size), "report.json");
  } catch (const strata::Error&) {
  }
  return 0;
}
