// SHA-256 (FIPS 180-4): names a model by the content of its weights file, in
// reports and in shared links, identically in the native and wasm builds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace strata {

std::string sha256_hex(const uint8_t* data, size_t size);

}  // namespace strata
