// The part of the engine a prediction needs: load a model, tokenize, run it
// with captures and interventions. The page's first prediction runs on a
// module built from this part alone (strata-engine-core, bindings/CMakeLists.txt),
// small enough to fetch and compile before the full engine (bindings.cpp) is needed.
#pragma once

#include <emscripten/val.h>

#include <memory>
#include <string>

#include "conversions.h"
#include "model/session.h"

namespace strata::bindings {

// Runs body() and turns every C++ exception into {ok: false, error}: nothing
// is thrown across the boundary.
template <typename F>
emscripten::val guarded(F&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return error_result("out of memory");
  } catch (const std::exception& e) {
    return error_result(e.what());
  } catch (...) {
    return error_result("unknown error");
  }
}

class PredictionEngine {
 public:
  emscripten::val load(const std::string& config_json, const emscripten::val& weights,
                       const emscripten::val& tokenizer_json);
  emscripten::val tokenize(const std::string& text);
  emscripten::val run(const emscripten::val& ids_js, const std::string& request_json, int top_k);

 protected:
  const Session& session() const;
  const std::string& tokenizer_sha256() const { return tokenizer_sha256_; }

 private:
  std::unique_ptr<Session> session_;
  std::string tokenizer_sha256_;  // of the loaded model's tokenizer.json, "" without one
};

std::string sha256_of(const std::string& text);

}  // namespace strata::bindings
