// `strata analyze`: runs named analyses on a model (and its suite) and writes
// one report (src/report/report.h).
#pragma once

#include "cli/commands.h"

namespace strata::cli {

const Command& analyze_command();

}  // namespace strata::cli
