// Reader for Hugging Face safetensors files.
//
// Byte layout:
//   [0, 8)        N, unsigned 64-bit little-endian: the header length
//   [8, 8+N)      UTF-8 JSON object, may be padded with trailing spaces:
//                   {"__metadata__": {str: str}?,
//                    "<name>": {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}, ...}
//   [8+N, size)   tensor bytes; offsets are relative to 8+N, tensors tile this
//                 region exactly (no holes, no overlaps, nothing after the last)
//
// Every rule of the safetensors section of RELIABILITY.md is checked in
// SafetensorsFile's constructor; a violation throws strata::Error naming the
// file, the tensor or field, and what was expected versus found.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tensor/half.h"
#include "tensor/tensor.h"

namespace strata {

enum class DType { BOOL, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64, F8_E4M3, F8_E5M2 };

const char* dtype_name(DType dtype);
int dtype_size(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets into the data region
  uint64_t end = 0;
};

struct SafetensorsLimits {
  uint64_t max_header_bytes = 16ull << 20;  // 16 MiB: far below the reference 100 MB
  int max_tensors = 65536;
  int max_rank = 8;
};

class SafetensorsFile {
 public:
  // Takes ownership of the whole file's bytes. `label` names the file in errors.
  SafetensorsFile(std::vector<uint8_t> bytes, std::string label,
                  const SafetensorsLimits& limits = SafetensorsLimits{});

  const std::string& label() const { return label_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in file order of offsets
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(const std::string& name) const;  // nullptr if absent

  // The tensor converted to f32 (F32, F16 and BF16 are accepted; anything else
  // is an error naming the tensor and its dtype). NaN and Inf pass through.
  Tensor read_f32(const std::string& name) const;
  // An F16 or BF16 tensor's values as stored, for weights kept in the file's
  // precision (anything else is an error naming the tensor and its dtype).
  std::vector<uint16_t> read_16bit(const std::string& name) const;

  // Frees the file bytes once every tensor has been read.
  void release_bytes();

 private:
  // The tensor's first byte, after checking that it exists and the bytes are still held.
  const uint8_t* tensor_bytes(const std::string& name, const TensorInfo** info) const;

  std::vector<uint8_t> bytes_;
  std::string label_;
  uint64_t data_start_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Writes a safetensors file (F32 only): used by tests and tools.
std::vector<uint8_t> write_safetensors_f32(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                           const std::map<std::string, std::string>& metadata = {});

}  // namespace strata
