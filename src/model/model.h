// A loaded model: configuration, weights and tokenizer, from a Hugging Face
// folder on disk or from the files' bytes (the page).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/model-config.h"
#include "io/tokenizer.h"
#include "model/memory-limit.h"
#include "model/weights.h"

namespace strata {

struct Model {
  ModelConfig config;
  ModelWeights weights;
  std::optional<Tokenizer> tokenizer;  // absent when no tokenizer.json was given
  LoadReport load_report;
  std::string weights_sha256;  // of model.safetensors
};

struct ModelFiles {
  std::string config_json;
  std::vector<uint8_t> safetensors;
  std::optional<std::string> tokenizer_json;
  std::string label = "model";  // names the source in errors ("models/tiny-gpt2/")
  uint64_t memory_limit = kModelMemoryLimit;  // a model needing more is refused before its weights are allocated
};

Model load_model(ModelFiles files);
// Reads config.json, model.safetensors and (if present) tokenizer.json from `dir`.
Model load_model_dir(const std::string& dir);

}  // namespace strata
