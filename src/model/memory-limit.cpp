#include "model/memory-limit.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "base/error.h"

namespace strata {
namespace {

constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

uint64_t add_saturating(uint64_t a, uint64_t b) { return a > kSaturated - b ? kSaturated : a + b; }
uint64_t mul_saturating(uint64_t a, uint64_t b) { return a != 0 && b > kSaturated / a ? kSaturated : a * b; }

// The tensor's size as the engine keeps it: a matrix of F16 or BF16 values
// 2 bytes per element (model/weights.h), anything else as f32, 4 bytes.
uint64_t kept_bytes(const TensorInfo& t) {
  uint64_t elements = 1;
  for (int64_t d : t.shape) elements = mul_saturating(elements, d < 0 ? kSaturated : static_cast<uint64_t>(d));
  const bool half_matrix = t.shape.size() == 2 && (t.dtype == DType::F16 || t.dtype == DType::BF16);
  return mul_saturating(elements, half_matrix ? 2 : 4);
}

}  // namespace

uint64_t model_memory_needed(const std::vector<TensorInfo>& tensors, uint64_t file_bytes) {
  uint64_t weights = 0, largest = 0;
  for (const TensorInfo& t : tensors) {
    const uint64_t bytes = kept_bytes(t);
    weights = add_saturating(weights, bytes);
    largest = std::max(largest, bytes);
  }
  return add_saturating(add_saturating(file_bytes, weights), mul_saturating(largest, 2));
}

void check_model_memory(const std::vector<TensorInfo>& tensors, uint64_t file_bytes, uint64_t limit,
                        const std::string& label) {
  const uint64_t needed = model_memory_needed(tensors, file_bytes);
  if (needed > limit)
    throw Error(label + ": the model needs " + describe_bytes(needed) + " of memory to load (the " +
                describe_bytes(file_bytes) + " file, its weights and two working copies of the largest tensor), " +
                "more than the engine's limit of " + describe_bytes(limit));
}

std::string describe_bytes(uint64_t bytes) {
  if (bytes == kSaturated) return "more than 2^64 bytes";
  char text[64];
  std::snprintf(text, sizeof text, "%.1f GiB (%llu bytes)", static_cast<double>(bytes) / double(uint64_t{1} << 30),
                static_cast<unsigned long long>(bytes));
  return text;
}

}  // namespace strata
