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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    print_usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  for (const auto& command : strata::cli::commands()) {
    if (args[0] != command.name) continue;
    try {
      command.run(strata::cli::parse_args({args.begin() + 1, args.end()}, command.spec));
      return 0;
    } catch (const strata::Error& e) {
      std::cerr << "strata " << command.name << ": " << e.what() << "\n";
      return 2;
    } catch (const nlohmann::json::exception& e) {
      std::cerr << "strata " << command.name << ": " << e.what() << "\n";
      return 2;
    } catch (const std::bad_alloc&) {
      std::cerr << "strata " << command.name << ": out of memory\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "strata " << command.name << ": internal error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "strata: unknown command \"" << args[0] << "\"\n";
  print_usage(std::cerr);
  return 2;
}
