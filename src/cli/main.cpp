// strata: the native command line over the same core the page runs.
//
// Exit status: 0 on success, 2 for bad input of any kind (one line on
// stderr), 1 for an internal failure.
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/commands.h"

namespace {

void print_usage(std::ostream& out) {
  out << "usage:\n";
  for (const auto& command : strata::cli::commands()) out << "  " << command.usage << "\n";
}

// Every error is one line on stderr: line breaks in a message (from an
// argument or a file) are written as \n.
std::string one_line(const std::string& message) {
  std::string out;
  for (char c : message) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

int fail(const std::string& prefix, const std::string& message, int status) {
  std::cerr << prefix << ": " << one_line(message) << "\n";
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "help")) {
    print_usage(std::cout);
    return 0;
  }
  if (args.empty()) return fail("strata", "no command given; see strata --help", 2);
  for (const auto& command : strata::cli::commands()) {
    if (args[0] != command.name) continue;
    const std::string prefix = std::string("strata ") + command.name;
    try {
      command.run(strata::cli::parse_args({args.begin() + 1, args.end()}, command.spec));
      return 0;
    } catch (const strata::Error& e) {
      return fail(prefix, e.what(), 2);
    } catch (const nlohmann::json::exception& e) {
      return fail(prefix, e.what(), 2);
    } catch (const std::bad_alloc&) {
      return fail(prefix, "out of memory", 2);
    } catch (const std::exception& e) {
      return fail(prefix, std::string("internal error: ") + e.what(), 1);
    }
  }
  return fail("strata", "unknown command " + nlohmann::json(args[0]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "; see strata --help", 2);
}
