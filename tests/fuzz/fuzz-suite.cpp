// Fuzz target: suite.json parsing and validation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "io/suite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    strata::parse_suite(std::string(reinterpret_cast<const char*>(data), size), "suite.json");
  } catch (const strata::Error&) {
  }
  return 0;
}
