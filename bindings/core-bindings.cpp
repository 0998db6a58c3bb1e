// Embind registration of the prediction engine alone (strata-engine-core):
// Engine with load, tokenize and run, as bindings.cpp documents them, and
// Module.version and Module.maxThreads (1). The page's worker runs its first
// prediction on this module while the full engine loads (web/src/engine/pool.js).
#include <emscripten/bind.h>

#include "prediction-engine.h"

EMSCRIPTEN_BINDINGS(strata_core) {
  using strata::bindings::PredictionEngine;
  emscripten::class_<PredictionEngine>("Engine")
      .constructor<>()
      .function("load", &PredictionEngine::load)
      .function("tokenize", &PredictionEngine::tokenize)
      .function("run", &PredictionEngine::run);
  emscripten::constant("version", std::string(STRATA_VERSION));
  emscripten::constant("maxThreads", 1);
}
