// Checked: a value inside a JSON document together with the path that names
// it, for validating documents in depth with one-line errors:
//   "report: results: patching: units[3]: head: expected an integer in [0, 4), found 7"
// Every accessor checks the type (and range) before reading, so a document of
// any shape gives an error, never an exception from the JSON library.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace strata {

class Checked {
 public:
  Checked(const nlohmann::json& value, std::string path) : value_(&value), path_(std::move(path)) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& path() const { return path_; }
  bool is_null() const { return value_->is_null(); }

  // Objects. field() requires the key; optional_field() gives nullopt when absent.
  void object(size_t max_members = SIZE_MAX) const;
  Checked field(const char* key) const;
  std::optional<Checked> optional_field(const char* key) const;
  void only_fields(std::initializer_list<const char*> keys) const;

  // Arrays: returns the size, checked against [min, max].
  size_t array(size_t min, size_t max) const;
  Checked operator[](size_t i) const;

  // Scalars, range-checked: integers in [lo, hi] (inclusive), numbers finite in [lo, hi].
  int64_t integer(int64_t lo, int64_t hi) const;
  double number(double lo, double hi) const;
  std::optional<double> number_or_null(double lo, double hi) const;
  bool boolean() const;
  std::string string(size_t max_bytes) const;
  std::string one_of(std::initializer_list<const char*> choices) const;

  [[noreturn]] void fail_expected(const std::string& expected) const;
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  const nlohmann::json* value_;
  std::string path_;
};

}  // namespace strata
