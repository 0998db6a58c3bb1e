// Conversions between JS values and the core's types. Bulk data crosses as
// copies: typed arrays are copied into C++ vectors on the way in, and out of
// the wasm heap (TypedArray.slice) on the way out, so JS never keeps a view
// into a heap that can grow and move.
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "tensor/tensor.h"

namespace strata::bindings {

std::vector<uint8_t> bytes_from_js(const emscripten::val& uint8_array);
std::vector<int32_t> ids_from_js(const emscripten::val& int_array);

emscripten::val float_array_copy(const float* data, size_t n);
emscripten::val int_array_copy(const std::vector<int32_t>& ids);
emscripten::val tensor_to_js(const Tensor& t);  // {shape: number[], data: Float32Array}
emscripten::val tensor_to_js(const std::vector<int64_t>& shape, const float* data, size_t n);

// null/undefined: no progress; a function: called as fn(fraction, stage). It must not throw.
ProgressFn progress_from_js(const emscripten::val& callback);

emscripten::val ok_result();                            // {ok: true}
emscripten::val error_result(const std::string& message);  // {ok: false, error}

}  // namespace strata::bindings
