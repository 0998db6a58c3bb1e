// Loading a model from its Hugging Face files.
#include "model/model.h"

#include "base/error.h"
#include "base/sha256.h"
#include "io/files.h"

namespace strata {

Model load_model(ModelFiles files) {
  Model model;
  model.config = parse_model_config(files.config_json, join_path(files.label, "config.json"));
  model.weights_sha256 = sha256_hex(files.safetensors.data(), files.safetensors.size());
  {
    const uint64_t file_bytes = files.safetensors.size();
    SafetensorsFile weights(std::move(files.safetensors), join_path(files.label, "model.safetensors"));
    check_model_memory(weights.tensors(), file_bytes, files.memory_limit, join_path(files.label, "model.safetensors"));
    model.weights = load_weights(weights, model.config, &model.load_report);
  }  // the file's bytes are freed here; only the f32 weights stay
  if (files.tokenizer_json) {
    model.tokenizer = Tokenizer::from_json(*files.tokenizer_json, join_path(files.label, "tokenizer.json"));
    if (model.tokenizer->vocab_size() > model.config.d_vocab)
      fail_expected(join_path(files.label, "tokenizer.json") + ": vocabulary size",
                    "at most the model's vocab_size " + std::to_string(model.config.d_vocab),
                    std::to_string(model.tokenizer->vocab_size()));
  }
  return model;
}

Model load_model_dir(const std::string& dir) {
  ModelFiles files;
  files.label = dir;
  files.config_json = read_file_text(join_path(dir, "config.json"));
  files.safetensors = read_file_bytes(join_path(dir, "model.safetensors"));
  const std::string tokenizer_path = join_path(dir, "tokenizer.json");
  if (file_exists(tokenizer_path)) files.tokenizer_json = read_file_text(tokenizer_path);
  return load_model(std::move(files));
}

}  // namespace strata
