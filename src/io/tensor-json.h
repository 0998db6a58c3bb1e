// Tensors as JSON: {"shape": [...], "data": [...]} (row-major). Non-finite
// numbers are written as null (JSON has no -inf) and read back as -inf, which
// is what masked attention scores hold.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tensor/tensor.h"

namespace strata {

nlohmann::json tensor_to_json(const Tensor& t);
// Validates types, the shape (non-negative, at most 8 axes, at most 2^28 elements)
// and that data holds exactly numel numbers. `where` names the value in errors.
Tensor tensor_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace strata
