// Fuzz target: config.json parsing and validation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "io/model-config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    strata::parse_model_config(std::string(reinterpret_cast<const char*>(data), size), "config.json");
  } catch (const strata::Error&) {
  }
  return 0;
}
