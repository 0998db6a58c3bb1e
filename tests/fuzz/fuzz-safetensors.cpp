// Fuzz target: the safetensors reader, then reading every tensor it accepted.
// Any exception other than strata::Error, any crash or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/error.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    strata::SafetensorsLimits limits;
    limits.max_header_bytes = 1 << 20;
    strata::SafetensorsFile file(std::vector<uint8_t>(data, data + size), "fuzz.safetensors", limits);
    for (const strata::TensorInfo& t : file.tensors()) {
      try {
        file.read_f32(t.name);
      } catch (const strata::Error&) {
        // a dtype that is not a float: refused by name
      }
    }
  } catch (const strata::Error&) {
  }
  return 0;
}
