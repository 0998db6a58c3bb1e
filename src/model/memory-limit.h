// The memory a model takes while it loads, checked against the engine's limit
// before any weight is allocated.
//
// Loading holds at once: the safetensors file's bytes, every tensor as the
// forward pass keeps it (F16 and BF16 matrices 2 bytes an element, the rest
// f32), and up to two copies of the largest tensor (the values read and the
// matrix or transpose made from them). The wasm engine's memory can grow to 4 GiB
// (cmake/wasm.cmake, MAXIMUM_MEMORY); a model may take 3 GiB of it, which
// leaves 1 GiB for the runtime, the tokenizer and the activations of a run.
// The command line keeps the same limit, so that it opens exactly the models
// the page opens.
//
// All sums are 64-bit and saturate: a size near 2^32 (size_t in wasm) or
// near 2^64 is compared as what it is, never wrapped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace strata {

constexpr uint64_t kModelMemoryLimit = uint64_t{3} << 30;  // 3 GiB

// Bytes needed to load a model whose file is `file_bytes` long and holds `tensors`.
uint64_t model_memory_needed(const std::vector<TensorInfo>& tensors, uint64_t file_bytes);

// Throws strata::Error naming `label`, the bytes needed and the limit when the
// model does not fit in `limit` bytes.
void check_model_memory(const std::vector<TensorInfo>& tensors, uint64_t file_bytes, uint64_t limit,
                        const std::string& label);

// "3.0 GiB (3221225472 bytes)"
std::string describe_bytes(uint64_t bytes);

}  // namespace strata
