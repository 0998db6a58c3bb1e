// The model memory limit: what loading needs is counted in 64 bits (sizes near
// 2^32, where wasm's size_t would wrap, and near 2^64 are refused as what they
// are), a model over the limit is refused with its size and the limit, and a
// model exactly at the limit loads.
#include <catch2/catch.hpp>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "io/files.h"
#include "model/memory-limit.h"
#include "model/model.h"

using namespace strata;

namespace {

TensorInfo tensor(DType dtype, std::vector<int64_t> shape) {
  TensorInfo t;
  t.name = "t";
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}

std::string refusal(const std::vector<TensorInfo>& tensors, uint64_t file_bytes, uint64_t limit) {
  try {
    check_model_memory(tensors, file_bytes, limit, "m.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

ModelFiles shipped_model(const std::string& name) {
  const std::string dir = std::string(STRATA_SOURCE_DIR) + "/models/" + name;
  ModelFiles files;
  files.label = name;
  files.config_json = read_file_text(dir + "/config.json");
  files.safetensors = read_file_bytes(dir + "/model.safetensors");
  return files;
}

}  // namespace

TEST_CASE("loading needs the file, the weights as kept and two copies of the largest tensor") {
  // F16 [3, 5] -> 30 bytes (a 16-bit matrix is kept 16 bits wide); F32 [4, 9] -> 144;
  // BF16 [7] -> 28 (a vector is widened); rank 0 -> 4; zero-size -> 0.
  const std::vector<TensorInfo> tensors = {tensor(DType::F16, {3, 5}), tensor(DType::F32, {4, 9}),
                                           tensor(DType::BF16, {7}), tensor(DType::BF16, {}),
                                           tensor(DType::F32, {0, 9})};
  CHECK(model_memory_needed(tensors, 100) == 100 + (30 + 144 + 28 + 4 + 0) + 2 * 144);
  CHECK(model_memory_needed({tensor(DType::BF16, {64, 64})}, 10) == 10 + 8192 + 2 * 8192);
  CHECK(model_memory_needed({}, 8) == 8);
  CHECK_NOTHROW(check_model_memory(tensors, 100, 594, "m.safetensors"));
  CHECK(refusal(tensors, 100, 593) ==
        "m.safetensors: the model needs 0.0 GiB (594 bytes) of memory to load (the 0.0 GiB (100 bytes) file, its "
        "weights and two working copies of the largest tensor), more than the engine's limit of 0.0 GiB (593 bytes)");
}

TEST_CASE("sizes near 2^32 are refused, not wrapped to a small number") {
  // One F16 tensor of 2^30 elements: 2^31 bytes in the file, 2^32 bytes as f32.
  // In 32 bits the f32 size would be 0; the sum 2^31 + 2^32 + 2^33 would be 2^31.
  const std::vector<TensorInfo> big = {tensor(DType::F16, {int64_t{1} << 30})};
  const uint64_t file = (uint64_t{1} << 31) + 64;
  CHECK(model_memory_needed(big, file) == file + (uint64_t{1} << 32) + (uint64_t{1} << 33));
  const std::string message = refusal(big, file, kModelMemoryLimit);
  CHECK(message.find("needs 14.0 GiB (15032385600 bytes)") != std::string::npos);
  CHECK(message.find("limit of 3.0 GiB (3221225472 bytes)") != std::string::npos);

  // Four-byte tensors adding up to 2^32 + 4 bytes: 4 in 32-bit arithmetic.
  const std::vector<TensorInfo> just_over = {tensor(DType::U8, {int64_t{1} << 30}), tensor(DType::U8, {1})};
  CHECK(model_memory_needed(just_over, 0) == (uint64_t{1} << 32) + 4 + (uint64_t{1} << 33));
  CHECK_THROWS_AS(check_model_memory(just_over, 0, kModelMemoryLimit, "m"), Error);
  // A file alone of 2^32 - 1 bytes is over the limit too.
  CHECK_THROWS_AS(check_model_memory({}, (uint64_t{1} << 32) - 1, kModelMemoryLimit, "m"), Error);
}

TEST_CASE("sizes past 2^64 saturate and are refused") {
  const std::vector<TensorInfo> huge = {tensor(DType::F32, {int64_t{1} << 62, 8})};
  CHECK(model_memory_needed(huge, 16) == UINT64_MAX);
  CHECK(refusal(huge, 16, kModelMemoryLimit).find("needs more than 2^64 bytes of memory") != std::string::npos);
  const std::vector<TensorInfo> many = {tensor(DType::F32, {int64_t{1} << 61}), tensor(DType::F32, {int64_t{1} << 61})};
  CHECK(model_memory_needed(many, 0) == UINT64_MAX);  // 2^63 + 2^63 + 2^64
}

TEST_CASE("the limit is 3 GiB of the wasm engine's 4 GiB") {
  CHECK(kModelMemoryLimit == uint64_t{3} * 1024 * 1024 * 1024);
}

TEST_CASE("load_model refuses a model over its limit before loading the weights, and loads one exactly at it") {
  const ModelFiles files = shipped_model("tiny-gpt2-world2");
  const int n_layers = nlohmann::json::parse(files.config_json).at("n_layer");
  const uint64_t file_bytes = files.safetensors.size();
  // The needed bytes counted here from the header, independently of the loader.
  const SafetensorsFile header(files.safetensors, "h");
  uint64_t weights = 0, largest = 0;
  for (const TensorInfo& t : header.tensors()) {
    uint64_t n = 4;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    weights += n;
    largest = n > largest ? n : largest;
  }
  const uint64_t needed = file_bytes + weights + 2 * largest;
  REQUIRE(needed < kModelMemoryLimit);

  ModelFiles at_limit = files;
  at_limit.memory_limit = needed;
  CHECK(load_model(at_limit).config.n_layers == n_layers);

  ModelFiles over = files;
  over.memory_limit = needed - 1;
  try {
    load_model(over);
    FAIL("a model over its memory limit was loaded");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.rfind("tiny-gpt2-world2/model.safetensors: the model needs ", 0) == 0);
    CHECK(message.find("(" + std::to_string(needed) + " bytes) of memory") != std::string::npos);
    CHECK(message.find("limit of 0.0 GiB (" + std::to_string(needed - 1) + " bytes)") != std::string::npos);
  }
  CHECK(load_model(files).weights.layers.size() == size_t(n_layers));  // the default limit holds the shipped models
}
