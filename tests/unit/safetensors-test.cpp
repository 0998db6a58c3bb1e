// Safetensors: every handcrafted bad file of tests/data/bad fails with its
// exact message (one error class per file, RELIABILITY.md rules 1-8); valid
// edge cases (padding, zero-size and rank-0 tensors, unaligned offsets) load;
// F16 and BF16 convert exactly; write_safetensors_f32 round-trips.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "io/files.h"
#include "io/safetensors.h"

using namespace strata;

namespace {

struct BadFile {
  const char* file;     // in tests/data/bad, without the "safetensors-" prefix
  const char* message;  // the exact message, the label being "model.safetensors"
};

std::vector<uint8_t> bad_bytes(const std::string& name) {
  return read_file_bytes(std::string(STRATA_SOURCE_DIR) + "/tests/data/bad/safetensors-" + name + ".safetensors");
}

void check_refused(const std::vector<BadFile>& cases) {
  for (const BadFile& c : cases) {
    INFO("tests/data/bad/safetensors-" << c.file << ".safetensors");
    CHECK_THROWS_WITH(SafetensorsFile(bad_bytes(c.file), "model.safetensors"), c.message);
  }
}

// A file from header text (used as given: no padding added) and data bytes.
std::vector<uint8_t> make_file(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out(8);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void append_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xff));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

void append_f32(std::vector<uint8_t>& out, float f) {
  uint8_t b[4];
  std::memcpy(b, &f, 4);
  out.insert(out.end(), b, b + 4);
}

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

}  // namespace

// --- bad files, one per error class -----------------------------------------

TEST_CASE("rule 1: the header length is checked against the file", "[safetensors]") {
  check_refused({
      {"too-short", "model.safetensors: file is 5 bytes, too short for the 8-byte header length"},
      {"header-length-over-cap", "model.safetensors: header length 1099511627776 exceeds the limit of 16777216 bytes"},
      {"header-length-past-end", "model.safetensors: header length 200 runs past the end of the file (8 + 200 > 16 bytes)"},
      {"header-length-overflow",
       "model.safetensors: header length 18446744073709551615 exceeds the limit of 16777216 bytes"},
  });
  // Without the cap, 8 + N would wrap around in 64 bits: the check must not.
  SafetensorsLimits no_cap;
  no_cap.max_header_bytes = std::numeric_limits<uint64_t>::max();
  CHECK_THROWS_WITH(SafetensorsFile(bad_bytes("header-length-overflow"), "model.safetensors", no_cap),
                    "model.safetensors: header length 18446744073709551615 runs past the end of the file "
                    "(8 + 18446744073709551615 > 16 bytes)");
  CHECK_THROWS_WITH(SafetensorsFile({}, "empty.safetensors"),
                    "empty.safetensors: file is 0 bytes, too short for the 8-byte header length");
}

TEST_CASE("rule 2: the header is a JSON object, depth-capped", "[safetensors]") {
  check_refused({
      {"header-empty", "model.safetensors: header of 0 bytes holds no JSON object"},
      {"header-only-spaces", "model.safetensors: header of 8 bytes holds no JSON object"},
      {"header-not-object", "model.safetensors: header must begin with '{', found byte 0x5b at header byte 0"},
      {"header-too-deep", "model.safetensors: header: nesting deeper than 8 levels at /__metadata__/a/0/0/0/0/0/0"},
  });
  CHECK_THROWS_WITH(SafetensorsFile(bad_bytes("header-syntax-error"), "model.safetensors"),
                    Catch::StartsWith("model.safetensors: header: invalid JSON at byte 22: syntax error"));
  CHECK_THROWS_WITH(SafetensorsFile(bad_bytes("header-invalid-utf8"), "model.safetensors"),
                    Catch::StartsWith("model.safetensors: header: invalid JSON at byte 3: ") &&
                        Catch::Contains("UTF-8"));
}

TEST_CASE("rule 3: a tensor named twice is an error", "[safetensors]") {
  check_refused({{"duplicate-tensor", "model.safetensors: header: duplicate key \"w\" at /"}});
}

TEST_CASE("rule 4: dtype, shape, data_offsets and __metadata__ are typed", "[safetensors]") {
  check_refused({
      {"tensor-not-object",
       "model.safetensors: tensor \"w\": expected an object {dtype, shape, data_offsets}, found an array"},
      {"dtype-unknown",
       "model.safetensors: tensor \"w\": dtype: expected one of BOOL, U8, I8, U16, I16, F16, BF16, U32, I32, F32, "
       "U64, I64, F64, F8_E4M3, F8_E5M2, found string \"F128\""},
      {"dtype-missing", "model.safetensors: tensor \"w\": dtype: expected a string, found nothing (the key is missing)"},
      {"dtype-not-string", "model.safetensors: tensor \"w\": dtype: expected a string, found 4"},
      {"shape-negative", "model.safetensors: tensor \"w\": shape[1]: expected a non-negative integer, found -1"},
      {"shape-not-integer", "model.safetensors: tensor \"w\": shape[0]: expected a non-negative integer, found 2.5"},
      {"shape-not-array", "model.safetensors: tensor \"w\": shape: expected an array of dimensions, found 2"},
      {"shape-rank-over-cap", "model.safetensors: tensor \"w\": shape: expected at most 8 dimensions, found 10"},
      {"offsets-missing",
       "model.safetensors: tensor \"w\": data_offsets: expected two non-negative integers [begin, end], "
       "found nothing (the key is missing)"},
      {"offsets-three-values",
       "model.safetensors: tensor \"w\": data_offsets: expected two non-negative integers [begin, end], "
       "found an array of 3"},
      {"offsets-negative",
       "model.safetensors: tensor \"w\": data_offsets: expected two non-negative integers [begin, end], found [-8,0]"},
      {"offsets-not-integer",
       "model.safetensors: tensor \"w\": data_offsets: expected two non-negative integers [begin, end], found [0,\"8\"]"},
      {"offsets-reversed", "model.safetensors: tensor \"w\": data_offsets: expected begin <= end, found [8, 0]"},
      {"metadata-not-object", "model.safetensors: __metadata__: expected an object of strings, found an array"},
      {"metadata-value-not-string", "model.safetensors: __metadata__: \"step\": expected a string, found 3"},
  });
}

TEST_CASE("rule 5: tensors tile the data exactly", "[safetensors]") {
  check_refused({
      {"first-begin-not-zero",
       "model.safetensors: tensor \"w\": data_offsets [4, 12] leave a hole: data bytes [0, 4) belong to no tensor"},
      {"overlap", "model.safetensors: tensor \"b\": data_offsets [4, 12] overlap tensor \"a\" [0, 8]"},
      {"hole", "model.safetensors: tensor \"b\": data_offsets [12, 20] leave a hole: data bytes [8, 12) belong to no tensor"},
      {"trailing-bytes",
       "model.safetensors: 8 trailing bytes after the last tensor (data region is 16 bytes, tensors end at 8)"},
      {"truncated",
       "model.safetensors: tensor \"b\": data_offsets [8, 24] run past the end of the data (20 bytes): the file is "
       "truncated"},
  });
}

TEST_CASE("rule 6: bytes = shape x dtype size, checked for overflow", "[safetensors]") {
  check_refused({
      {"size-mismatch",
       "model.safetensors: tensor \"h.0.attn.c_attn.weight\": data_offsets [0, 96] hold 96 bytes but shape [4, 8] of "
       "F32 needs 128"},
      {"shape-overflow",
       "model.safetensors: tensor \"w\": shape [4611686018427387904, 4611686018427387904] of F32 needs more than 2^64 "
       "bytes"},
      {"shape-bytes-overflow",
       "model.safetensors: tensor \"w\": shape [4611686018427387904] of F32 needs more than 2^64 bytes"},
  });
}

TEST_CASE("the tensor count is capped", "[safetensors]") {
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]},)"
      R"("c":{"dtype":"F32","shape":[],"data_offsets":[8,12]}})";
  SafetensorsLimits limits;
  limits.max_tensors = 2;
  CHECK_THROWS_WITH(SafetensorsFile(make_file(header, std::vector<uint8_t>(12)), "m.safetensors", limits),
                    "m.safetensors: more than 2 tensors");
  limits.max_tensors = 3;
  CHECK(SafetensorsFile(make_file(header, std::vector<uint8_t>(12)), "m.safetensors", limits).tensors().size() == 3);
}

// --- valid files -------------------------------------------------------------

TEST_CASE("rule 7: zero-size and rank-0 tensors are legal; NaN and Inf pass through", "[safetensors]") {
  std::vector<uint8_t> data;
  append_f32(data, 2.5f);
  append_f32(data, std::numeric_limits<float>::quiet_NaN());
  append_f32(data, -std::numeric_limits<float>::infinity());
  const std::string header =
      R"({"scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
      R"("empty":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},)"
      R"("also_empty":{"dtype":"BF16","shape":[3,0],"data_offsets":[12,12]},)"
      R"("v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  const SafetensorsFile f(make_file(header, data), "m.safetensors");
  const Tensor scalar = f.read_f32("scalar");
  CHECK(scalar.shape.empty());
  REQUIRE(scalar.data.size() == 1);
  CHECK(scalar.data[0] == 2.5f);
  const Tensor empty = f.read_f32("empty");
  CHECK(empty.shape == std::vector<int64_t>{0, 5});
  CHECK(empty.data.empty());
  CHECK(f.read_f32("also_empty").data.empty());
  const Tensor v = f.read_f32("v");
  REQUIRE(v.data.size() == 2);
  CHECK(std::isnan(v.data[0]));
  CHECK(std::isinf(v.data[1]));
  CHECK(v.data[1] < 0);
}

TEST_CASE("an empty header object with no data is a valid file", "[safetensors]") {
  const SafetensorsFile f(make_file("{}      ", {}), "m.safetensors");
  CHECK(f.tensors().empty());
  CHECK(f.find("x") == nullptr);
}

TEST_CASE("the header may start after JSON whitespace and be padded with spaces", "[safetensors]") {
  std::vector<uint8_t> data;
  append_f32(data, 1.0f);
  const SafetensorsFile f(make_file(" \n\t{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}     ", data),
                          "m.safetensors");
  CHECK(f.read_f32("x").data == std::vector<float>{1.0f});
}

TEST_CASE("rule 8: unaligned F16 and BF16 tensors are read and converted", "[safetensors]") {
  // a 3-byte U8 tensor first puts every later tensor at an odd offset
  std::vector<uint8_t> data = {7, 8, 9};
  for (uint16_t h : {0x3C00, 0xC000, 0x7C00, 0x0001, 0x3555, 0x7BFF}) append_u16(data, h);
  for (uint16_t b : {0x3F80, 0xC000, 0x4049}) append_u16(data, b);
  append_f32(data, -0.125f);
  const std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("u8":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},)"
      R"("half":{"dtype":"F16","shape":[2,3],"data_offsets":[3,15]},)"
      R"("brain":{"dtype":"BF16","shape":[3],"data_offsets":[15,21]},)"
      R"("single":{"dtype":"F32","shape":[1,1],"data_offsets":[21,25]}})";
  const SafetensorsFile f(make_file(header, data), "m.safetensors");
  CHECK(f.metadata().at("format") == "pt");
  REQUIRE(f.tensors().size() == 4);
  CHECK(f.tensors()[0].name == "u8");  // in order of offsets
  CHECK(f.tensors()[3].name == "single");
  REQUIRE(f.find("half") != nullptr);
  CHECK(f.find("half")->dtype == DType::F16);
  CHECK(f.find("half")->begin == 3);

  const Tensor half = f.read_f32("half");
  CHECK(half.shape == std::vector<int64_t>{2, 3});
  REQUIRE(half.data.size() == 6);
  CHECK(half.data[0] == 1.0f);
  CHECK(half.data[1] == -2.0f);
  CHECK(std::isinf(half.data[2]));
  CHECK(half.data[3] == std::ldexp(1.0f, -24));
  CHECK(half.data[4] == Approx(0.333251953125).margin(0));
  CHECK(half.data[5] == 65504.0f);
  const Tensor brain = f.read_f32("brain");
  CHECK(brain.data == std::vector<float>{1.0f, -2.0f, 3.140625f});
  CHECK(f.read_f32("single").data == std::vector<float>{-0.125f});

  CHECK_THROWS_WITH(f.read_f32("u8"), "m.safetensors: tensor \"u8\": dtype: expected F32, F16 or BF16, found U8");
  CHECK_THROWS_WITH(f.read_f32("nope"), "m.safetensors: no tensor \"nope\"");
}

TEST_CASE("a dtype that is not a float is refused by read_f32 with the tensor's name", "[safetensors]") {
  const SafetensorsFile f(bad_bytes("dtype-not-float"), "model.safetensors");
  CHECK_THROWS_WITH(f.read_f32("ids"), "model.safetensors: tensor \"ids\": dtype: expected F32, F16 or BF16, found I64");
}

TEST_CASE("release_bytes frees the data; later reads are errors", "[safetensors]") {
  SafetensorsFile f(write_safetensors_f32({{"w", Tensor{{2}, {1.0f, 2.0f}}}}), "m.safetensors");
  CHECK(f.read_f32("w").data.size() == 2);
  f.release_bytes();
  CHECK(f.find("w") != nullptr);
  CHECK_THROWS_WITH(f.read_f32("w"), "m.safetensors: tensor \"w\": the file's bytes were already released");
}

// --- 16-bit floats -----------------------------------------------------------

TEST_CASE("f16_to_f32 converts normals, subnormals, zeros, infinities and NaN", "[safetensors]") {
  CHECK(f16_to_f32(0x3C00) == 1.0f);
  CHECK(f16_to_f32(0xBC00) == -1.0f);
  CHECK(f16_to_f32(0x4000) == 2.0f);
  CHECK(f16_to_f32(0x3800) == 0.5f);
  CHECK(f16_to_f32(0x7BFF) == 65504.0f);                            // largest finite
  CHECK(f16_to_f32(0x0400) == std::ldexp(1.0f, -14));               // smallest normal
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));               // smallest subnormal
  CHECK(f16_to_f32(0x0001) == Approx(5.96e-8).epsilon(1e-3));
  CHECK(f16_to_f32(0x03FF) == std::ldexp(1023.0f, -24));            // largest subnormal
  CHECK(f16_to_f32(0x8001) == -std::ldexp(1.0f, -24));
  CHECK(f16_to_f32(0x0000) == 0.0f);
  CHECK_FALSE(std::signbit(f16_to_f32(0x0000)));
  CHECK(std::signbit(f16_to_f32(0x8000)));
  CHECK(f16_to_f32(0x8000) == 0.0f);
  CHECK(std::isinf(f16_to_f32(0x7C00)));
  CHECK(f16_to_f32(0x7C00) > 0);
  CHECK(std::isinf(f16_to_f32(0xFC00)));
  CHECK(f16_to_f32(0xFC00) < 0);
  CHECK(std::isnan(f16_to_f32(0x7E00)));
  CHECK(std::isnan(f16_to_f32(0x7C01)));  // signalling-style payload stays a NaN
  CHECK(std::isnan(f16_to_f32(0xFE00)));
  CHECK(f16_to_f32(0x3555) == Approx(0.333251953125).margin(0));
}

TEST_CASE("every finite f16 converts to the value its fields define", "[safetensors]") {
  int mismatches = 0;
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0x1f) continue;
    const double magnitude = exponent == 0 ? std::ldexp(static_cast<double>(mantissa), -24)
                                           : std::ldexp(1.0 + mantissa / 1024.0, static_cast<int>(exponent) - 15);
    const double expected = (h & 0x8000) ? -magnitude : magnitude;
    if (static_cast<double>(f16_to_f32(static_cast<uint16_t>(h))) != expected) ++mismatches;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("bf16_to_f32 is the upper half of an f32", "[safetensors]") {
  CHECK(bf16_to_f32(0x3F80) == 1.0f);
  CHECK(bf16_to_f32(0xBF80) == -1.0f);
  CHECK(bf16_to_f32(0x4049) == 3.140625f);
  CHECK(bf16_to_f32(0x0001) == std::ldexp(1.0f, -133));  // smallest subnormal
  CHECK(std::isinf(bf16_to_f32(0x7F80)));
  CHECK(std::isinf(bf16_to_f32(0xFF80)));
  CHECK(bf16_to_f32(0xFF80) < 0);
  CHECK(std::isnan(bf16_to_f32(0x7FC0)));
  CHECK(std::signbit(bf16_to_f32(0x8000)));
  CHECK(bits_of(bf16_to_f32(0x1234)) == 0x12340000u);
}

// --- writing -----------------------------------------------------------------

TEST_CASE("write_safetensors_f32 round-trips shapes, values and metadata", "[safetensors]") {
  const std::vector<std::pair<std::string, Tensor>> tensors = {
      {"transformer.wte.weight", Tensor{{2, 3}, {0.5f, -1.0f, 2.0f, 1e-30f, 3e30f, -0.0f}}},
      {"scalar", Tensor{{}, {42.0f}}},
      {"empty", Tensor{{0, 4}, {}}},
      {"odd", Tensor{{1}, {std::numeric_limits<float>::infinity()}}},
  };
  const std::vector<uint8_t> bytes = write_safetensors_f32(tensors, {{"format", "pt"}, {"note", "caf\xc3\xa9"}});

  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
  CHECK(n % 8 == 0);                             // padded to a multiple of 8
  CHECK(bytes.size() == 8 + n + 4 * (6 + 1 + 0 + 1));
  CHECK(bytes[8] == '{');

  const SafetensorsFile f(bytes, "round.safetensors");
  CHECK(f.metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"note", "caf\xc3\xa9"}});
  REQUIRE(f.tensors().size() == tensors.size());
  for (const auto& [name, tensor] : tensors) {
    INFO(name);
    const Tensor back = f.read_f32(name);
    CHECK(back.shape == tensor.shape);
    REQUIRE(back.data.size() == tensor.data.size());
    for (size_t i = 0; i < back.data.size(); ++i) CHECK(bits_of(back.data[i]) == bits_of(tensor.data[i]));
  }
}

TEST_CASE("write_safetensors_f32 pads the header with spaces", "[safetensors]") {
  for (size_t len = 1; len <= 9; ++len) {
    const std::vector<uint8_t> bytes = write_safetensors_f32({{std::string(len, 'x'), Tensor{{1}, {1.0f}}}});
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
    INFO("name length " << len << ", header " << n << " bytes");
    CHECK(n % 8 == 0);
    const std::string header(bytes.begin() + 8, bytes.begin() + static_cast<std::ptrdiff_t>(8 + n));
    const size_t close = header.rfind('}');
    CHECK(header.find_first_not_of(' ', close + 1) == std::string::npos);
    CHECK(n - (close + 1) < 8);
    CHECK(SafetensorsFile(bytes, "pad.safetensors").read_f32(std::string(len, 'x')).data == std::vector<float>{1.0f});
  }
}

TEST_CASE("write_safetensors_f32 refuses inconsistent input", "[safetensors]") {
  CHECK_THROWS_WITH(write_safetensors_f32({{"w", Tensor{{2, 2}, {1.0f}}}}),
                    "write_safetensors_f32: tensor \"w\": data: expected 4 values for shape [2, 2], found 1");
  CHECK_THROWS_WITH(write_safetensors_f32({{"w", Tensor{{1}, {1.0f}}}, {"w", Tensor{{1}, {2.0f}}}}),
                    "write_safetensors_f32: tensor name \"w\" is reserved or repeated");
  CHECK_THROWS_WITH(write_safetensors_f32({{"__metadata__", Tensor{{1}, {1.0f}}}}),
                    "write_safetensors_f32: tensor name \"__metadata__\" is reserved or repeated");
}

TEST_CASE("dtype names and sizes", "[safetensors]") {
  CHECK(std::string(dtype_name(DType::BF16)) == "BF16");
  CHECK(std::string(dtype_name(DType::F8_E5M2)) == "F8_E5M2");
  CHECK(dtype_size(DType::BOOL) == 1);
  CHECK(dtype_size(DType::F16) == 2);
  CHECK(dtype_size(DType::I32) == 4);
  CHECK(dtype_size(DType::F64) == 8);
}
