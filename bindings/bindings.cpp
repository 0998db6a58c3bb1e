// Embind registration of the full engine: the prediction engine's methods
// (prediction-engine.h) and the analyses, reports and suites on top of them.
//
// JS usage (see web/ and tests/node/engine.test.mjs):
//   const engine = new Module.Engine();           // the caller owns it: engine.delete()
//   engine.load(configText, weightsUint8Array, tokenizerTextOrNull) -> {ok, error?, info?}
//       info: Session::info() and "ablation_units", the units a click ablates with their sites (ablation.h)
//   engine.tokenize(text)                          -> {ok, error?, ids: Int32Array, tokens: string[]}
//   engine.run(ids, requestJson, topK)             -> {ok, error?, logits: {shape, data}, topK: [...],
//                                                      captures: {hookName: {shape, data}}}
//   engine.loadSuite(suiteText)                    -> {ok, error?, summary: jsonText}
//       summary: {"model", "sha256", "n_items", "kinds": {kind: {"family", "optional", "n_items"}}};
//       the suite stays loaded (across model loads) until the next loadSuite; a failed one unloads it
//   engine.listAnalyses()                          -> jsonText: [{"name", "needs_suite", "reads_items", "sweep", "description", "settings", "defaults"}]
//   engine.analyze(name, requestJson, onProgress)  -> {ok, error?, result: jsonText}
//       requestJson: {"settings": {...}, "seed": N}; runs on the loaded model and suite; onProgress is
//       null or a function (fraction, stage) that must not throw; result is what a report stores
//       under results[name]
//   engine.report(requestJson)                     -> {ok, error?, report: jsonText}
//       requestJson: {"analyses": [...] | "all", "settings": {name: {...}}, "seed": N, "model_id": "<id>",
//                     "results": {name: result}?};
//       the same bytes `strata analyze` writes for the same model (model_id: its folder or manifest
//       id, default "model"), suite file, analyses, settings and seed (less float rounding). An
//       analysis given in "results" (what engine.analyze returned for those settings and seed) is
//       written as it is instead of run again; the report is then validated as parseReport does
//   engine.parseReport(text)                       -> {ok, error?, report: jsonText}   (validated)
//   engine.buildSuite(bankText, seed, onProgress)  -> {ok, error?, suite: jsonText}
//       a natural-language suite from the bank (models/nl-bank/bank.json) for the loaded model's
//       tokenizer (byte-level BPE), its items the model answers wrong marked, as
//       `strata suite --model` writes it (src/bank/suite-builder.h, io/suite.h), its build.tokenizer
//       "tokenizer.json"; not loaded: hand it to loadSuite. onProgress as for analyze
//   Module.setThreads(n) -> the threads now used (1 .. Module.maxThreads); the products of every later
//       call are split over them. The single-threaded module's maxThreads is 1 (src/base/parallel.h)
// Every method catches every C++ exception and returns {ok: false, error}:
// nothing is thrown across the boundary.
#include <emscripten/bind.h>

#include <memory>
#include <optional>

#include "analysis/registry.h"
#include "analysis/shared/evaluate.h"
#include "bank/suite-builder.h"
#include "base/error.h"
#include "base/parallel.h"
#include "io/json-reader.h"
#include "io/suite.h"
#include "prediction-engine.h"
#include "report/report-request.h"
#include "report/report.h"

namespace strata::bindings {
namespace {

using emscripten::val;

class Engine : public PredictionEngine {
 public:
  val loadSuite(const std::string& text) {
    return guarded([&] {
      suite_.reset();
      auto suite = std::make_unique<Suite>(parse_suite(text, "suite.json"));
      suite_sha256_ = sha256_of(text);
      suite_ = std::move(suite);
      val out = ok_result();
      out.set("summary", suite_summary(*suite_, suite_sha256_).dump());
      return out;
    });
  }

  std::string listAnalyses() const { return analysis_list_json().dump(); }

  val analyze(const std::string& name, const std::string& request_json, const val& on_progress) {
    return guarded([&] {
      const AnalysisEntry& entry = analysis_named(name, "analyze");
      const AnalysisCall call = parse_analysis_call(parse_json_strict(request_json, "analysis request"), "analysis request");
      if (entry.needs_suite && !suite_) throw Error(name + ": needs a suite (engine.loadSuite)");
      const AnalysisRequest request{session(), suite_.get(), call.seed, call.settings, progress_from_js(on_progress)};
      val out = ok_result();
      out.set("result", entry.run(request).dump());
      return out;
    });
  }

  val report(const std::string& request_json) {
    return guarded([&] {
      const ReportCall call = parse_report_call(parse_json_strict(request_json, "report request"), "report request");
      const nlohmann::json report =
          build_report({session(), call.model_id, suite_.get(), suite_sha256_, call.request, {}});
      const std::string text = report.dump();
      // Results handed in come back out of this engine, yet they crossed into JS and back.
      if (!call.request.computed.empty()) parse_report(text, "report");
      val out = ok_result();
      out.set("report", text);
      return out;
    });
  }

  val parseReport(const std::string& text) {
    return guarded([&] {
      val out = ok_result();
      out.set("report", parse_report(text, "report").dump());
      return out;
    });
  }

  val buildSuite(const std::string& bank_text, int seed, const val& on_progress) {
    return guarded([&] {
      const std::optional<Tokenizer>& tokenizer = session().model().tokenizer;
      if (!tokenizer) throw Error("the loaded model has no tokenizer.json to build a suite for");
      if (seed < 0) fail_expected("buildSuite: seed", "a non-negative integer", std::to_string(seed));
      const Bank bank = parse_bank(bank_text, "bank.json");
      const nlohmann::json built = build_nl_suite(
          {bank, sha256_of(bank_text), *tokenizer, "tokenizer.json", tokenizer_sha256()}, static_cast<uint64_t>(seed));
      const ProgressFn progress = progress_from_js(on_progress);
      const Evaluation eval = evaluate_suite(session(), parse_suite(built.dump(), "the built suite"), "model",
                                             [&](size_t done, size_t total) {
                                               if (progress)
                                                 progress(static_cast<double>(done) / static_cast<double>(total),
                                                          "marking the items the model answers wrong");
                                             });
      val out = ok_result();
      out.set("suite", mark_answered_wrong(built, eval, session()).dump() + "\n");  // the bytes `strata suite --model` writes
      return out;
    });
  }

 private:
  std::unique_ptr<Suite> suite_;
  std::string suite_sha256_;
};

}  // namespace
}  // namespace strata::bindings

EMSCRIPTEN_BINDINGS(strata) {
  using strata::bindings::Engine;
  using strata::bindings::PredictionEngine;
  emscripten::class_<PredictionEngine>("PredictionEngine")
      .function("load", &PredictionEngine::load)
      .function("tokenize", &PredictionEngine::tokenize)
      .function("run", &PredictionEngine::run);
  emscripten::class_<Engine, emscripten::base<PredictionEngine>>("Engine")
      .constructor<>()
      .function("loadSuite", &Engine::loadSuite)
      .function("listAnalyses", &Engine::listAnalyses)
      .function("analyze", &Engine::analyze)
      .function("report", &Engine::report)
      .function("parseReport", &Engine::parseReport)
      .function("buildSuite", &Engine::buildSuite);
  emscripten::constant("version", std::string(STRATA_VERSION));
  emscripten::constant("maxThreads", strata::max_thread_count());
  emscripten::function("setThreads", +[](int threads) {
    strata::set_thread_count(threads);
    return strata::thread_count();
  });
}
