// strata analyze --model DIR [--suite FILE] --analysis NAME[,NAME...]|all --out FILE
//                [--seed N] [--settings FILE] [--progress] [--save-tuned-lens]
// strata analyze --list [--json]
#include "cli/analyze-command.h"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>

#include "analysis/observation/observation-runners.h"
#include "analysis/registry.h"
#include "base/error.h"
#include "base/sha256.h"
#include "io/files.h"
#include "io/json-reader.h"
#include "io/suite.h"
#include "report/report-request.h"
#include "report/report.h"

namespace strata::cli {
namespace {

using nlohmann::json;

std::string folder_name(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  const size_t slash = d.find_last_of('/');
  return slash == std::string::npos ? d : d.substr(slash + 1);
}

void print_list(bool as_json) {
  if (as_json) {
    std::cout << analysis_list_json().dump(2) << "\n";
    return;
  }
  for (const AnalysisEntry& e : analysis_table())
    std::cout << std::left << std::setw(16) << e.name << (e.needs_suite ? "suite " : "      ")
              << (e.sweep ? "sweep " : "      ") << e.description << "\n";
}

// Progress lines on stderr, one per whole percent.
ProgressFn stderr_progress() {
  auto last = std::make_shared<int>(-1);
  return [last](double fraction, const std::string& stage) {
    const int percent = static_cast<int>(std::floor(fraction * 100.0));
    if (percent == *last) return;
    *last = percent;
    std::cerr << "analyze: " << std::setw(3) << percent << "% " << stage << "\n";
  };
}

void analyze(const Args& args) {
  if (args.has("list")) {
    const bool as_json = args.has("json");
    if (args.options.size() + args.flags.size() > (as_json ? 2u : 1u)) throw Error("--list takes no other option but --json");
    return print_list(as_json);
  }
  if (args.has("json")) throw Error("--json: goes with --list (an analysis run writes its report with --out)");
  const std::string dir = args.required("model");
  const std::string out_path = args.required("out");
  ReportRequest request;
  request.analyses = analysis_names_from_list(args.required("analysis"), "--analysis");
  if (args.has("seed")) request.seed = parse_seed_text(args.required("seed"), "--seed");
  if (args.has("settings")) {
    const std::string path = args.required("settings");
    request.settings = checked_settings_by_name(parse_json_strict(read_file_text(path), path), request.analyses, path);
  }
  if (args.has("save-tuned-lens") && !args.has("suite")) throw Error("--save-tuned-lens: the tuned lens is fitted on a suite (--suite FILE)");
  const Session session(load_model_dir(dir));
  std::unique_ptr<Suite> suite;
  std::string suite_sha256;
  if (args.has("suite")) {
    const std::string path = args.required("suite");
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    suite = std::make_unique<Suite>(parse_suite(std::string(bytes.begin(), bytes.end()), path));
    suite_sha256 = sha256_hex(bytes.data(), bytes.size());
  }
  const ProgressFn progress = args.has("progress") ? stderr_progress() : ProgressFn();
  json report;
  try {
    report = build_report({session, folder_name(dir), suite.get(), suite_sha256, request, progress});
  } catch (const Error& e) {
    // An item's error names the item; the suite file it came from is named here.
    if (suite && std::string(e.what()).find("suite item \"") != std::string::npos)
      throw Error(suite->label + ": " + e.what());
    throw;
  }
  write_file_bytes(out_path, report_text(report));

  if (args.has("save-tuned-lens")) {
    // The fit is deterministic: refitting with the report's settings gives the lens the report describes.
    const json own = request.settings.contains("tuned-lens") ? request.settings.at("tuned-lens") : json::object();
    const TunedLensRun fit = fit_suite_tuned_lens({session, suite.get(), request.seed, own, progress});
    const std::vector<uint8_t> bytes = save_tuned_lens(fit.lens, session.model().config);
    const std::string path = join_path(dir, "tuned-lens.safetensors");
    write_file_bytes(path, std::string(bytes.begin(), bytes.end()));
    std::cerr << "analyze: tuned lens written to " << path << "\n";
  }
}

}  // namespace

const Command& analyze_command() {
  static const Command command = {
      "analyze",
      "strata analyze --model DIR [--suite FILE] --analysis NAME[,NAME...]|all --out FILE [--seed N]\n"
      "           [--settings FILE.json] [--progress] [--save-tuned-lens]\n"
      "  strata analyze --list [--json]",
      {{"model", "suite", "analysis", "out", "seed", "settings"}, {"progress", "list", "json", "save-tuned-lens"}},
      analyze};
  return command;
}

}  // namespace strata::cli
