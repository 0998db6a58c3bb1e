// Command-line parsing: `strata COMMAND [--option VALUE | --flag]...`.
// Each command declares which options take a value and which are flags; any
// other argument is an error naming it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace strata::cli {

struct CommandSpec {
  std::set<std::string> options;  // --name VALUE
  std::set<std::string> flags;    // --name
};

struct Args {
  std::map<std::string, std::string> options;
  std::set<std::string> flags;

  bool has(const std::string& name) const { return options.count(name) || flags.count(name); }
  const std::string& required(const std::string& name) const;  // throws naming the option
  std::string get(const std::string& name, const std::string& fallback) const;
  int get_int(const std::string& name, int fallback, int min_value, int max_value) const;
};

Args parse_args(const std::vector<std::string>& argv, const CommandSpec& spec);

// "1,2,3" -> {1, 2, 3}; errors name the option and the bad item.
std::vector<int> parse_int_list(const std::string& text, const std::string& option);
std::vector<std::string> split_list(const std::string& text);

}  // namespace strata::cli
