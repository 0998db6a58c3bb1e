#include "prediction-engine.h"

#include "analysis/sweeps/ablation.h"
#include "base/error.h"
#include "base/sha256.h"
#include "io/json-reader.h"

namespace strata::bindings {

using emscripten::val;

std::string sha256_of(const std::string& text) {
  return sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

val PredictionEngine::load(const std::string& config_json, const val& weights, const val& tokenizer_json) {
  return guarded([&] {
    session_.reset();
    ModelFiles files;
    files.label = "model";
    files.config_json = config_json;
    files.safetensors = bytes_from_js(weights);
    if (tokenizer_json.isString()) files.tokenizer_json = tokenizer_json.as<std::string>();
    const std::string tokenizer_sha256 = files.tokenizer_json ? sha256_of(*files.tokenizer_json) : "";
    session_ = std::make_unique<Session>(load_model(std::move(files)));
    tokenizer_sha256_ = tokenizer_sha256;
    val out = ok_result();
    nlohmann::json info = session_->info();
    info["ablation_units"] = ablation_units_json(session_->model().config);
    out.set("info", info.dump());
    return out;
  });
}

val PredictionEngine::tokenize(const std::string& text) {
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

val PredictionEngine::run(const val& ids_js, const std::string& request_json, int top_k) {
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
    out.set("logits", tensor_to_js({logits.rows(), logits.cols()}, logits.data(), static_cast<size_t>(logits.size())));
    out.set("topK", top);
    out.set("captures", captures);
    return out;
  });
}

const Session& PredictionEngine::session() const {
  if (!session_) throw Error("no model is loaded");
  return *session_;
}

}  // namespace strata::bindings
