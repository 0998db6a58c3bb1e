// Embind registration of the engine: registration and the error boundary only.
//
// JS usage (see web/ and tests/node/engine.test.mjs):
//   const engine = new Module.Engine();           // the caller owns it: engine.delete()
//   engine.load(configText, weightsUint8Array, tokenizerTextOrNull) -> {ok, error?, info?}
//   engine.tokenize(text)                          -> {ok, error?, ids: Int32Array, tokens: string[]}
//   engine.run(ids, requestJson, topK)             -> {ok, error?, logits: {shape, data}, topK: [...],
//                                                      captures: {hookName: {shape, data}}}
// Every method catches every C++ exception and returns {ok: false, error}:
// nothing is thrown across the boundary.
#include <emscripten/bind.h>

#include <memory>
#include <optional>

#include "base/error.h"
#include "conversions.h"
#include "io/json-reader.h"
#include "model/session.h"

namespace strata::bindings {
namespace {

using emscripten::val;

template <typename F>
val guarded(F&& body) {
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

class Engine {
 public:
  val load(const std::string& config_json, const val& weights, const val& tokenizer_json) {
    return guarded([&] {
      session_.reset();
      ModelFiles files;
      files.label = "model";
      files.config_json = config_json;
      files.safetensors = bytes_from_js(weights);
      if (tokenizer_json.isString()) files.tokenizer_json = tokenizer_json.as<std::string>();
      session_ = std::make_unique<Session>(load_model(std::move(files)));
      val out = ok_result();
      out.set("info", session_->info().dump());
      return out;
    });
  }

  val tokenize(const std::string& text) {
    return guarded([&] {
      const std::vector<int32_t> ids = session().tokenize(text);
      val tokens = val::array();
      for (int32_t id : ids) tokens.call<void>("push", session().token_text(id));
      val out = ok_result();
      out.set("ids", int_array_copy(ids));
      out.set("tokens", tokens);
      return out;
    });
  }

  val run(const val& ids_js, const std::string& request_json, int top_k) {
    return guarded([&] {
      const std::vector<int32_t> ids = ids_from_js(ids_js);
      const RunOptions options = session().parse_run_options(parse_json_strict(request_json, "run request"), "run request");
      const RunResult result = session().run(ids, options);
      val top = val::array();
      for (const TokenProbability& t : session().top_k(result.logits, top_k)) {
        val entry = val::object();
        entry.set("id", t.id);
        entry.set("token", t.token);
        entry.set("probability", t.probability);
        entry.set("logit", t.logit);
        top.call<void>("push", entry);
      }
      val captures = val::object();
      for (const auto& [name, tensor] : result.cache.tensors) captures.set(name, tensor_to_js(tensor));
      const Mat& logits = result.logits;
      val out = ok_result();
      out.set("logits", tensor_to_js(Tensor{{logits.rows(), logits.cols()}, {logits.data(), logits.data() + logits.size()}}));
      out.set("topK", top);
      out.set("captures", captures);
      return out;
    });
  }

 private:
  const Session& session() const {
    if (!session_) throw Error("no model is loaded");
    return *session_;
  }
  std::unique_ptr<Session> session_;
};

}  // namespace
}  // namespace strata::bindings

EMSCRIPTEN_BINDINGS(strata) {
  using strata::bindings::Engine;
  emscripten::class_<Engine>("Engine")
      .constructor<>()
      .function("load", &Engine::load)
      .function("tokenize", &Engine::tokenize)
      .function("run", &Engine::run);
  emscripten::constant("version", std::string(STRATA_VERSION));
}
