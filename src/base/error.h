// Error: the one exception type the core throws.
//
// Internals throw strata::Error with a message that names the file, the field
// or tensor, and what was expected versus found; the API boundaries (the CLI's
// main, the Embind bindings) catch it once and turn it into a message.
#pragma once

#include <stdexcept>
#include <string>

namespace strata {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// "<where>: expected <expected>, found <found>"
[[noreturn]] inline void fail_expected(const std::string& where, const std::string& expected,
                                       const std::string& found) {
  throw Error(where + ": expected " + expected + ", found " + found);
}

}  // namespace strata
