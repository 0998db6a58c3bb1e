// The four sweeps on the shipped models with their default settings: a
// benchmark and a report, not a test (hidden tag; run with
//   build/<dir>/tests/test-sweeps "[.shipped]"
// ). Prints the CPU time of one forward pass, each sweep's wall-clock and CPU
// time and the circuits verdict; checks only the shape of the results.
// STRATA_SWEEPS=ablation,patching,causal-tracing,circuits picks sweeps;
// STRATA_SWEEP_NO_REUSE=1 also times the sweeps without clean-cache reuse;
// STRATA_SWEEP_SETTINGS='{"method": "resample"}' adds settings to every sweep.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sys/resource.h>

#include "analysis/sweeps/ablation.h"
#include "analysis/sweeps/causal-tracing.h"
#include "analysis/circuits/circuits.h"
#include "analysis/sweeps/patching.h"
#include "io/files.h"
#include "model/model.h"

using namespace strata;
using nlohmann::json;

namespace {

// CPU seconds of this process: on a shared machine wall-clock time mostly
// measures the other jobs, so both are printed.
double cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

json timed(const std::string& model, const std::string& name, json (*sweep)(const AnalysisRequest&),
           const Session& session, const Suite& suite, json settings = json::object()) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds();
  if (const char* extra = std::getenv("STRATA_SWEEP_SETTINGS"))
    for (const auto& [key, value] : json::parse(extra).items()) settings[key] = value;
  AnalysisRequest request{session, &suite, 1, settings, {}};
  json result = sweep(request);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << model << " " << name << " " << settings.dump() << ": " << seconds << " s wall, "
            << cpu_seconds() - cpu_start << " s cpu";
  if (result.contains("units")) std::cout << ", " << result["units"].size() << " units";
  std::cout << std::endl;
  return result;
}

bool wanted(const std::string& sweep) {
  const char* list = std::getenv("STRATA_SWEEPS");
  return !list || ("," + std::string(list) + ",").find("," + sweep + ",") != std::string::npos;
}

// CPU milliseconds of one forward pass over a 16-token prompt of the suite.
double forward_ms(const Session& session, const Suite& suite) {
  const std::vector<int32_t> tokens = session.tokenize(suite.items.front().prompt);
  for (int i = 0; i < 10; ++i) session.run(tokens, {});
  const int n = 200;
  const double start = cpu_seconds();
  for (int i = 0; i < n; ++i) session.run(tokens, {});
  return 1e3 * (cpu_seconds() - start) / n;
}

}  // namespace

TEST_CASE("the sweeps on the shipped models", "[.shipped]") {
  for (const std::string id : {"tiny-gpt2-world2", "tiny-llama-world2"}) {
    const std::string dir = std::string(STRATA_SOURCE_DIR) + "/models/" + id;
    const Session session(load_model_dir(dir));
    const Suite suite = parse_suite(read_file_text(dir + "/suite.json"), id + "/suite.json");

    std::cout << id << " forward pass (" << session.tokenize(suite.items.front().prompt).size()
              << " tokens): " << forward_ms(session, suite) << " ms cpu" << std::endl;
    const bool no_reuse = std::getenv("STRATA_SWEEP_NO_REUSE") != nullptr;

    if (wanted("ablation")) {
      const json ablation = timed(id, "ablation", run_ablation, session, suite);
      CHECK(ablation["units"].size() == ablation["n_units"]);
      std::cout << "  baseline " << ablation["baseline"]["by_kind"].dump() << std::endl;
      for (const json& u : ablation["units"])
        std::cout << "  " << u["label"].get<std::string>() << " drop " << u["drop"]["by_family"].dump() << std::endl;
      if (no_reuse) timed(id, "ablation", run_ablation, session, suite, {{"reuse_cache", false}});
    }

    if (wanted("patching")) {
      const json patching = timed(id, "patching", run_patching, session, suite);
      CHECK(patching["units"].size() == patching["n_units"]);
      std::cout << "  pairs " << patching["pairs"]["by_family"].dump() << std::endl;
      if (no_reuse) timed(id, "patching", run_patching, session, suite, {{"reuse_cache", false}});
    }

    if (wanted("causal-tracing")) {
      const json tracing = timed(id, "causal-tracing", run_causal_tracing, session, suite);
      CHECK(tracing["units"].size() == tracing["n_units"]);
      std::cout << "  baseline " << tracing["baseline"]["all"].dump() << std::endl;
      if (no_reuse) timed(id, "causal-tracing", run_causal_tracing, session, suite, {{"reuse_cache", false}});
    }

    if (!wanted("circuits")) continue;
    const json circuits = timed(id, "circuits", run_circuits, session, suite);
    for (const std::string family : {"recall", "reasoning"}) {
      const json& c = circuits["circuits"][family];
      std::cout << "  " << family << " circuit " << c["components"].dump() << "\n    test " << c["test"].dump()
                << "\n    null percentile " << c["null"]["percentile"].dump() << std::endl;
    }
    std::cout << "  " << circuits["statement"].get<std::string>() << std::endl;
    CHECK(circuits["statement"].get<std::string>().size() > 0);
  }
}
