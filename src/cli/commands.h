// The commands of the `strata` command line. Each prints its result to stdout
// (JSON with --json) and throws strata::Error on bad input.
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"

namespace strata::cli {

struct Command {
  const char* name;
  const char* usage;
  CommandSpec spec;
  void (*run)(const Args& args);
};

const std::vector<Command>& commands();

}  // namespace strata::cli
