#include "cli/args.h"

#include <cerrno>
#include <cstdlib>

#include "base/error.h"

namespace strata::cli {

const std::string& Args::required(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) throw Error("missing option --" + name);
  return it->second;
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

namespace {

bool parse_int(const std::string& text, long long* value) {
  if (text.empty() || text.size() > 18) return false;
  char* end = nullptr;
  errno = 0;
  *value = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && end == text.c_str() + text.size();
}

}  // namespace

int Args::get_int(const std::string& name, int fallback, int min_value, int max_value) const {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  long long v = 0;
  if (!parse_int(it->second, &v) || v < min_value || v > max_value)
    fail_expected("--" + name, "an integer in [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "]",
                  "\"" + it->second + "\"");
  return static_cast<int>(v);
}

Args parse_args(const std::vector<std::string>& argv, const CommandSpec& spec) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) throw Error("unexpected argument \"" + a + "\"");
    const std::string name = a.substr(2);
    if (spec.flags.count(name)) {
      args.flags.insert(name);
    } else if (spec.options.count(name)) {
      if (i + 1 >= argv.size()) throw Error("option --" + name + " needs a value");
      if (args.options.count(name)) throw Error("option --" + name + " given twice");
      args.options[name] = argv[++i];
    } else {
      throw Error("unknown option --" + name);
    }
  }
  return args;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t end = comma == std::string::npos ? text.size() : comma;
    items.push_back(text.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

std::vector<int> parse_int_list(const std::string& text, const std::string& option) {
  std::vector<int> out;
  for (const std::string& item : split_list(text)) {
    long long v = 0;
    if (!parse_int(item, &v) || v < 0 || v > (1 << 30))
      fail_expected("--" + option, "comma-separated non-negative integers", "\"" + item + "\"");
    out.push_back(static_cast<int>(v));
  }
  return out;
}

}  // namespace strata::cli
