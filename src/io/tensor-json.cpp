#include "io/tensor-json.h"

#include <cmath>
#include <limits>

#include "base/error.h"

namespace strata {

nlohmann::json tensor_to_json(const Tensor& t) {
  nlohmann::json data = nlohmann::json::array();
  for (float v : t.data) {
    if (std::isfinite(v)) data.push_back(v);
    else data.push_back(nullptr);
  }
  return {{"shape", t.shape}, {"data", std::move(data)}};
}

Tensor tensor_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("shape") || !j.contains("data"))
    fail_expected(where, "{\"shape\": [...], \"data\": [...]}", j.is_object() ? "an object without them" : j.type_name());
  const nlohmann::json& shape = j["shape"];
  if (!shape.is_array() || shape.size() > 8) fail_expected(where + ": shape", "an array of at most 8 sizes", shape.dump());
  Tensor t;
  int64_t numel = 1;
  for (const auto& d : shape) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > (1ull << 28))
      fail_expected(where + ": shape", "non-negative sizes", shape.dump());
    t.shape.push_back(d.get<int64_t>());
    numel *= t.shape.back();
    if (numel > (int64_t{1} << 28)) fail_expected(where + ": shape", "at most 2^28 elements", shape.dump());
  }
  const nlohmann::json& data = j["data"];
  if (!data.is_array() || static_cast<int64_t>(data.size()) != numel)
    fail_expected(where + ": data", std::to_string(numel) + " numbers", data.is_array() ? std::to_string(data.size()) : data.type_name());
  t.data.reserve(static_cast<size_t>(numel));
  for (const auto& v : data) {
    if (v.is_null()) t.data.push_back(-std::numeric_limits<float>::infinity());
    else if (v.is_number() && std::abs(v.get<double>()) <= std::numeric_limits<float>::max()) t.data.push_back(v.get<float>());
    else if (v.is_number()) fail_expected(where + ": data", "numbers within float range", v.dump());
    else fail_expected(where + ": data", "numbers", v.dump());
  }
  return t;
}

}  // namespace strata
