#include "conversions.h"

#include "base/error.h"

namespace strata::bindings {

using emscripten::typed_memory_view;
using emscripten::val;

std::vector<uint8_t> bytes_from_js(const val& array) {
  const uint64_t n = array["length"].as<double>();
  if (n > (uint64_t{1} << 32) - (uint64_t{1} << 28)) throw Error("file of " + std::to_string(n) + " bytes is larger than the engine can hold");
  std::vector<uint8_t> bytes(static_cast<size_t>(n));
  val(typed_memory_view(bytes.size(), bytes.data())).call<void>("set", array);
  return bytes;
}

std::vector<int32_t> ids_from_js(const val& array) {
  const uint64_t n = array["length"].as<double>();
  if (n > (1u << 20)) throw Error("token ids: " + std::to_string(n) + " ids is more than a prompt can hold");
  std::vector<int32_t> ids(static_cast<size_t>(n));
  val view(typed_memory_view(ids.size(), ids.data()));
  view.call<void>("set", val::global("Int32Array").call<val>("from", array));
  return ids;
}

val float_array_copy(const float* data, size_t n) { return val(typed_memory_view(n, data)).call<val>("slice"); }

val int_array_copy(const std::vector<int32_t>& ids) {
  return val(typed_memory_view(ids.size(), ids.data())).call<val>("slice");
}

val tensor_to_js(const std::vector<int64_t>& shape, const float* data, size_t n) {
  val js_shape = val::array();
  for (int64_t d : shape) js_shape.call<void>("push", static_cast<double>(d));
  val out = val::object();
  out.set("shape", js_shape);
  out.set("data", float_array_copy(data, n));
  return out;
}

val tensor_to_js(const Tensor& t) { return tensor_to_js(t.shape, t.data.data(), t.data.size()); }

ProgressFn progress_from_js(const val& callback) {
  if (callback.isNull() || callback.isUndefined()) return {};
  if (callback.typeOf().as<std::string>() != "function") throw Error("onProgress: expected a function or null");
  return [callback](double fraction, const std::string& stage) { callback(fraction, stage); };
}

val ok_result() {
  val out = val::object();
  out.set("ok", true);
  return out;
}

val error_result(const std::string& message) {
  val out = val::object();
  out.set("ok", false);
  out.set("error", message);
  return out;
}

}  // namespace strata::bindings
