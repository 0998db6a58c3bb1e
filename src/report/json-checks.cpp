#include "report/json-checks.h"

#include <cmath>

#include "base/error.h"
#include "io/json-reader.h"

namespace strata {

using nlohmann::json;

void Checked::fail_expected(const std::string& expected) const {
  strata::fail_expected(path_, expected, json_describe(*value_));
}

void Checked::fail(const std::string& problem) const { throw Error(path_ + ": " + problem); }

void Checked::object(size_t max_members) const {
  if (!value_->is_object()) fail_expected("an object");
  if (value_->size() > max_members) fail("expected at most " + std::to_string(max_members) + " fields, found " +
                                         std::to_string(value_->size()));
}

Checked Checked::field(const char* key) const {
  object();
  const auto it = value_->find(key);
  if (it == value_->end()) throw Error(path_ + ": " + key + ": missing");
  return Checked(*it, path_ + ": " + key);
}

std::optional<Checked> Checked::optional_field(const char* key) const {
  object();
  const auto it = value_->find(key);
  if (it == value_->end()) return std::nullopt;
  return Checked(*it, path_ + ": " + key);
}

void Checked::only_fields(std::initializer_list<const char*> keys) const {
  object();
  for (const auto& item : value_->items()) {
    bool known = false;
    for (const char* k : keys) known = known || item.key() == k;
    if (!known) fail("unknown field " + json(item.key()).dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

size_t Checked::array(size_t min, size_t max) const {
  if (!value_->is_array()) fail_expected("an array");
  const size_t n = value_->size();
  if (n < min || n > max) {
    const std::string range = min == max ? std::to_string(min) : min == 0 ? "at most " + std::to_string(max)
                                                                          : std::to_string(min) + " to " + std::to_string(max);
    fail("expected " + range + " elements, found " + std::to_string(n));
  }
  return n;
}

Checked Checked::operator[](size_t i) const {
  if (!value_->is_array() || i >= value_->size()) fail("no element " + std::to_string(i));
  return Checked((*value_)[i], path_ + "[" + std::to_string(i) + "]");
}

int64_t Checked::integer(int64_t lo, int64_t hi) const {
  const std::string range = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (value_->is_number_unsigned()) {
    const uint64_t u = value_->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX) || static_cast<int64_t>(u) < lo || static_cast<int64_t>(u) > hi)
      fail_expected(range);
    return static_cast<int64_t>(u);
  }
  if (!value_->is_number_integer()) fail_expected(range);
  const int64_t x = value_->get<int64_t>();
  if (x < lo || x > hi) fail_expected(range);
  return x;
}

namespace {

// 1 rather than 1.0 for a whole bound.
std::string bound_text(double x) {
  if (std::abs(x) < 1e15 && x == std::floor(x)) return std::to_string(static_cast<int64_t>(x));
  return json(x).dump();
}

std::string number_range(double lo, double hi) { return "a number in [" + bound_text(lo) + ", " + bound_text(hi) + "]"; }

}  // namespace

double Checked::number(double lo, double hi) const {
  const std::string range = number_range(lo, hi);
  if (!value_->is_number()) fail_expected(range);
  const double x = value_->get<double>();
  if (!(std::isfinite(x) && x >= lo && x <= hi)) fail_expected(range);
  return x;
}

std::optional<double> Checked::number_or_null(double lo, double hi) const {
  if (value_->is_null()) return std::nullopt;
  if (!value_->is_number()) fail_expected(number_range(lo, hi) + " or null");
  return number(lo, hi);
}

bool Checked::boolean() const {
  if (!value_->is_boolean()) fail_expected("true or false");
  return value_->get<bool>();
}

std::string Checked::string(size_t max_bytes) const {
  if (!value_->is_string() || value_->get_ref<const std::string&>().size() > max_bytes)
    fail_expected("a string of at most " + std::to_string(max_bytes) + " bytes");
  return value_->get<std::string>();
}

std::string Checked::one_of(std::initializer_list<const char*> choices) const {
  std::string expected = "one of";
  for (const char* c : choices) expected += std::string(" \"") + c + "\"";
  if (!value_->is_string()) fail_expected(expected);
  const std::string& s = value_->get_ref<const std::string&>();
  for (const char* c : choices)
    if (s == c) return s;
  fail_expected(expected);
}

}  // namespace strata
