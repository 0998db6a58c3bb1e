// The four sweeps on the shipped models with their default settings: a
// benchmark and a report, not a test (hidden tag; run with
//   build/<dir>/tests/test-sweeps "[.shipped]"
// ). Prints each sweep's wall-clock time and the circuits verdict; checks only
// the shape of the results. STRATA_SWEEP_NO_REUSE=1 also times patching and
// causal tracing without clean-cache reuse.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "analysis/ablation.h"
#include "analysis/causal-tracing.h"
#include "analysis/circuits.h"
#include "analysis/patching.h"
#include "io/files.h"
#include "model/model.h"

using namespace strata;
using nlohmann::json;

namespace {

json timed(const std::string& model, const std::string& name, json (*sweep)(const AnalysisRequest&),
           const Session& session, const Suite& suite, json settings = json::object()) {
  const auto start = std::chrono::steady_clock::now();
  AnalysisRequest request{session, &suite, 1, settings, {}};
  json result = sweep(request);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << model << " " << name << " " << settings.dump() << ": " << seconds << " s";
  if (result.contains("units")) std::cout << ", " << result["units"].size() << " units";
  std::cout << std::endl;
  return result;
}

}  // namespace

TEST_CASE("the sweeps on the shipped models", "[.shipped]") {
  for (const std::string id : {"tiny-gpt2-world", "tiny-llama-world"}) {
    const std::string dir = std::string(STRATA_SOURCE_DIR) + "/models/" + id;
    const Session session(load_model_dir(dir));
    const Suite suite = parse_suite(read_file_text(dir + "/suite.json"), id + "/suite.json");

    const json ablation = timed(id, "ablation", run_ablation, session, suite);
    CHECK(ablation["units"].size() == ablation["n_units"]);
    std::cout << "  baseline " << ablation["baseline"]["by_kind"].dump() << std::endl;
    for (const json& u : ablation["units"])
      std::cout << "  " << u["label"].get<std::string>() << " drop " << u["drop"]["by_family"].dump() << std::endl;

    const json patching = timed(id, "patching", run_patching, session, suite);
    CHECK(patching["units"].size() == patching["n_units"]);
    std::cout << "  pairs " << patching["pairs"]["by_family"].dump() << std::endl;

    const json tracing = timed(id, "causal_tracing", run_causal_tracing, session, suite);
    CHECK(tracing["units"].size() == tracing["n_units"]);
    std::cout << "  baseline " << tracing["baseline"]["all"].dump() << std::endl;

    if (std::getenv("STRATA_SWEEP_NO_REUSE")) {
      timed(id, "patching", run_patching, session, suite, {{"reuse_cache", false}});
      timed(id, "causal_tracing", run_causal_tracing, session, suite, {{"reuse_cache", false}});
    }

    const json circuits = timed(id, "circuits", run_circuits, session, suite);
    for (const std::string family : {"recall", "reasoning"}) {
      const json& c = circuits["circuits"][family];
      std::cout << "  " << family << " circuit " << c["components"].dump() << " selection " << c["selection"].dump()
                << "\n    evaluation " << c["evaluation"].dump() << std::endl;
    }
    std::cout << "  " << circuits["separation"].dump() << std::endl;
    CHECK(circuits["separation"]["statement"].get<std::string>().size() > 0);
  }
}
