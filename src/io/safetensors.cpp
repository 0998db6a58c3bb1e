// Safetensors reading and writing: the header checks of RELIABILITY.md
// (rules 1-8), conversion of F32, F16 and BF16 tensors to f32, and a writer
// for F32 files. Byte layout: see safetensors.h.
//
// All size arithmetic is in uint64_t with explicit overflow checks: size_t is
// 32 bits in wasm. Tensor data sits at unaligned offsets and is read with
// memcpy; the host is little-endian (x86-64, wasm32), as is the format.
#include "io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "io/json-reader.h"

namespace strata {
namespace {

using json = nlohmann::json;

constexpr DType kAllDTypes[] = {DType::BOOL, DType::U8,  DType::I8,  DType::U16, DType::I16,
                                DType::F16,  DType::BF16, DType::U32, DType::I32, DType::F32,
                                DType::U64,  DType::I64, DType::F64, DType::F8_E4M3, DType::F8_E5M2};

std::string all_dtype_names() {
  std::string list;
  for (DType d : kAllDTypes) list += (list.empty() ? "" : ", ") + std::string(dtype_name(d));
  return list;
}

bool dtype_from_name(const std::string& name, DType* out) {
  for (DType d : kAllDTypes)
    if (name == dtype_name(d)) {
      *out = d;
      return true;
    }
  return false;
}

// a * b, or false when it does not fit in 64 bits.
bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  *out = a * b;
  return true;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool is_json_whitespace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string hex_byte(uint8_t b) {
  static const char* const kHex = "0123456789abcdef";
  return std::string("0x") + kHex[b >> 4] + kHex[b & 15];
}

std::string offsets_text(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// --- header fields ---------------------------------------------------------

DType read_dtype(const json& entry, const std::string& where) {
  const std::string name = json_get_string(entry, "dtype", where);
  DType dtype;
  if (!dtype_from_name(name, &dtype))
    fail_expected(where + ": dtype", "one of " + all_dtype_names(), json_describe(entry["dtype"]));
  return dtype;
}

std::vector<int64_t> read_shape(const json& entry, const std::string& where, int max_rank) {
  if (!entry.contains("shape")) fail_expected(where + ": shape", "an array of dimensions", "nothing (the key is missing)");
  const json& shape = entry["shape"];
  if (!shape.is_array()) fail_expected(where + ": shape", "an array of dimensions", json_describe(shape));
  if (shape.size() > static_cast<size_t>(max_rank))
    fail_expected(where + ": shape", "at most " + std::to_string(max_rank) + " dimensions",
                  std::to_string(shape.size()));
  std::vector<int64_t> dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    const json& d = shape[i];
    const std::string at = where + ": shape[" + std::to_string(i) + "]";
    if (!d.is_number_unsigned()) fail_expected(at, "a non-negative integer", json_describe(d));
    const uint64_t u = d.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail_expected(at, "a dimension below 2^63", json_describe(d));
    dims.push_back(static_cast<int64_t>(u));
  }
  return dims;
}

void read_offsets(const json& entry, const std::string& where, uint64_t* begin, uint64_t* end) {
  const char* expected = "two non-negative integers [begin, end]";
  if (!entry.contains("data_offsets")) fail_expected(where + ": data_offsets", expected, "nothing (the key is missing)");
  const json& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    const std::string found = offsets.is_array() ? "an array of " + std::to_string(offsets.size()) : json_describe(offsets);
    fail_expected(where + ": data_offsets", expected, found);
  }
  for (const json& o : offsets)
    if (!o.is_number_unsigned()) fail_expected(where + ": data_offsets", expected, offsets.dump());
  *begin = offsets[0].get<uint64_t>();
  *end = offsets[1].get<uint64_t>();
  if (*begin > *end) fail_expected(where + ": data_offsets", "begin <= end", offsets_text(*begin, *end));
}

std::map<std::string, std::string> read_metadata(const json& value, const std::string& label) {
  const std::string where = label + ": __metadata__";
  if (!value.is_object()) fail_expected(where, "an object of strings", json_describe(value));
  std::map<std::string, std::string> metadata;
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string()) fail_expected(where + ": \"" + key + "\"", "a string", json_describe(v));
    metadata[key] = v.get<std::string>();
  }
  return metadata;
}

// The size of a tensor's data from its shape and dtype; an overflow is an error.
uint64_t tensor_bytes(const TensorInfo& t, const std::string& where) {
  uint64_t bytes = static_cast<uint64_t>(dtype_size(t.dtype));
  for (int64_t d : t.shape)
    if (!checked_mul(bytes, static_cast<uint64_t>(d), &bytes))
      throw Error(where + ": shape " + shape_to_string(t.shape) + " of " + dtype_name(t.dtype) +
                  " needs more than 2^64 bytes");
  return bytes;
}

TensorInfo read_tensor(const std::string& name, const json& entry, const std::string& label,
                       const SafetensorsLimits& limits, uint64_t data_size) {
  const std::string where = label + ": tensor \"" + name + "\"";
  if (!entry.is_object()) fail_expected(where, "an object {dtype, shape, data_offsets}", json_describe(entry));
  TensorInfo t;
  t.name = name;
  t.dtype = read_dtype(entry, where);
  t.shape = read_shape(entry, where, limits.max_rank);
  read_offsets(entry, where, &t.begin, &t.end);
  const uint64_t needed = tensor_bytes(t, where);
  if (t.end - t.begin != needed)
    throw Error(where + ": data_offsets " + offsets_text(t.begin, t.end) + " hold " + std::to_string(t.end - t.begin) +
                " bytes but shape " + shape_to_string(t.shape) + " of " + dtype_name(t.dtype) + " needs " +
                std::to_string(needed));
  if (t.end > data_size)
    throw Error(where + ": data_offsets " + offsets_text(t.begin, t.end) + " run past the end of the data (" +
                std::to_string(data_size) + " bytes): the file is truncated");
  return t;
}

// Sorted by offset, the tensors must cover [0, data_size) exactly.
void check_tiling(const std::vector<TensorInfo>& sorted, uint64_t data_size, const std::string& label) {
  uint64_t expected = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& t : sorted) {
    const std::string where = label + ": tensor \"" + t.name + "\": data_offsets " + offsets_text(t.begin, t.end);
    if (t.begin < expected)
      throw Error(where + " overlap tensor \"" + previous->name + "\" " + offsets_text(previous->begin, previous->end));
    if (t.begin > expected)
      throw Error(where + " leave a hole: data bytes [" + std::to_string(expected) + ", " + std::to_string(t.begin) +
                  ") belong to no tensor");
    expected = t.end;
    previous = &t;
  }
  if (expected != data_size)
    throw Error(label + ": " + std::to_string(data_size - expected) + " trailing bytes after the last tensor (data " +
                "region is " + std::to_string(data_size) + " bytes, tensors end at " + std::to_string(expected) + ")");
}

// Where the JSON text starts: after JSON whitespace, at a '{'.
void check_header_start(const uint8_t* header, uint64_t n, const std::string& label) {
  uint64_t i = 0;
  while (i < n && is_json_whitespace(header[i])) ++i;
  if (i == n) throw Error(label + ": header of " + std::to_string(n) + " bytes holds no JSON object");
  if (header[i] != '{')
    throw Error(label + ": header must begin with '{', found byte " + hex_byte(header[i]) + " at header byte " +
                std::to_string(i));
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::BOOL: return "BOOL";
    case DType::U8: return "U8";
    case DType::I8: return "I8";
    case DType::U16: return "U16";
    case DType::I16: return "I16";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::U32: return "U32";
    case DType::I32: return "I32";
    case DType::F32: return "F32";
    case DType::U64: return "U64";
    case DType::I64: return "I64";
    case DType::F64: return "F64";
    case DType::F8_E4M3: return "F8_E4M3";
    case DType::F8_E5M2: return "F8_E5M2";
  }
  return "?";
}

int dtype_size(DType dtype) {
  switch (dtype) {
    case DType::BOOL:
    case DType::U8:
    case DType::I8:
    case DType::F8_E4M3:
    case DType::F8_E5M2: return 1;
    case DType::U16:
    case DType::I16:
    case DType::F16:
    case DType::BF16: return 2;
    case DType::U32:
    case DType::I32:
    case DType::F32: return 4;
    case DType::U64:
    case DType::I64:
    case DType::F64: return 8;
  }
  return 1;
}

SafetensorsFile::SafetensorsFile(std::vector<uint8_t> bytes, std::string label, const SafetensorsLimits& limits)
    : bytes_(std::move(bytes)), label_(std::move(label)) {
  const uint64_t size = bytes_.size();
  if (size < 8)
    throw Error(label_ + ": file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  const uint64_t n = read_u64_le(bytes_.data());
  if (n > limits.max_header_bytes)
    throw Error(label_ + ": header length " + std::to_string(n) + " exceeds the limit of " +
                std::to_string(limits.max_header_bytes) + " bytes");
  if (n > size - 8)
    throw Error(label_ + ": header length " + std::to_string(n) + " runs past the end of the file (8 + " +
                std::to_string(n) + " > " + std::to_string(size) + " bytes)");
  check_header_start(bytes_.data() + 8, n, label_);
  data_start_ = 8 + n;
  const uint64_t data_size = size - data_start_;

  JsonLimits json_limits;
  json_limits.max_depth = 8;
  json_limits.max_bytes = limits.max_header_bytes;
  json_limits.max_elements = static_cast<uint64_t>(limits.max_tensors) * (8 + static_cast<uint64_t>(limits.max_rank)) + 65536;
  const json header = parse_json_strict(std::string(bytes_.begin() + 8, bytes_.begin() + static_cast<size_t>(data_start_)),
                                        label_ + ": header", json_limits);
  if (!header.is_object()) fail_expected(label_ + ": header", "a JSON object", json_describe(header));

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      metadata_ = read_metadata(entry, label_);
      continue;
    }
    if (tensors_.size() >= static_cast<size_t>(limits.max_tensors))
      throw Error(label_ + ": more than " + std::to_string(limits.max_tensors) + " tensors");
    tensors_.push_back(read_tensor(name, entry, label_, limits, data_size));
  }
  std::sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  check_tiling(tensors_, data_size, label_);
  for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const uint8_t* SafetensorsFile::tensor_bytes(const std::string& name, const TensorInfo** info) const {
  *info = find(name);
  if (!*info) throw Error(label_ + ": no tensor \"" + name + "\"");
  if (bytes_.empty()) throw Error(label_ + ": tensor \"" + name + "\": the file's bytes were already released");
  // The constructor checked that begin..end lies inside bytes_, so this fits in size_t.
  return bytes_.data() + static_cast<size_t>(data_start_ + (*info)->begin);
}

Tensor SafetensorsFile::read_f32(const std::string& name) const {
  const TensorInfo* info;
  const uint8_t* src = tensor_bytes(name, &info);
  const DType dtype = info->dtype;
  if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
    fail_expected(label_ + ": tensor \"" + name + "\": dtype", "F32, F16 or BF16", dtype_name(dtype));
  const size_t count = static_cast<size_t>((info->end - info->begin) / static_cast<uint64_t>(dtype_size(dtype)));
  Tensor t;
  t.shape = info->shape;
  t.data.resize(count);
  if (dtype == DType::F32) {
    if (count > 0) std::memcpy(t.data.data(), src, count * sizeof(float));
    return t;
  }
  const std::vector<uint16_t> bits = read_16bit(name);
  widen(dtype == DType::F16 ? Precision::F16 : Precision::BF16, bits.data(), static_cast<long>(count), t.data.data());
  return t;
}

std::vector<uint16_t> SafetensorsFile::read_16bit(const std::string& name) const {
  const TensorInfo* info;
  const uint8_t* src = tensor_bytes(name, &info);
  if (info->dtype != DType::F16 && info->dtype != DType::BF16)
    fail_expected(label_ + ": tensor \"" + name + "\": dtype", "F16 or BF16", dtype_name(info->dtype));
  std::vector<uint16_t> bits(static_cast<size_t>((info->end - info->begin) / 2));
  if (!bits.empty()) std::memcpy(bits.data(), src, bits.size() * 2);
  return bits;
}

void SafetensorsFile::release_bytes() {
  bytes_.clear();
  bytes_.shrink_to_fit();
}

// --- writing ---------------------------------------------------------------

std::vector<uint8_t> write_safetensors_f32(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                           const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__" || header.contains(name))
      throw Error("write_safetensors_f32: tensor name \"" + name + "\" is reserved or repeated");
    for (int64_t d : tensor.shape)
      if (d < 0) throw Error("write_safetensors_f32: tensor \"" + name + "\": negative dimension in shape " + shape_to_string(tensor.shape));
    if (static_cast<uint64_t>(tensor.numel()) != tensor.data.size())
      fail_expected("write_safetensors_f32: tensor \"" + name + "\": data", std::to_string(tensor.numel()) + " values for shape " + shape_to_string(tensor.shape),
                    std::to_string(tensor.data.size()));
    const uint64_t bytes = static_cast<uint64_t>(tensor.data.size()) * 4;
    header[name] = {{"dtype", "F32"}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned, as the reference writer does

  std::vector<uint8_t> out(8 + text.size() + static_cast<size_t>(offset));
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* dst = out.data() + 8 + text.size();
  for (const auto& entry : tensors) {
    const std::vector<float>& data = entry.second.data;
    if (!data.empty()) std::memcpy(dst, data.data(), data.size() * sizeof(float));
    dst += data.size() * sizeof(float);
  }
  return out;
}

}  // namespace strata
