// Strict JSON: the DOM equals nlohmann's own, and each refused input (duplicate
// keys, depth, element and byte caps, invalid UTF-8, syntax) fails with a
// message naming the file label and the place; typed getters say what they
// expected and what they found.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "io/files.h"
#include "io/json-reader.h"

using namespace strata;
using json = nlohmann::json;

namespace {

std::string bad_file(const std::string& name) {
  return read_file_text(std::string(STRATA_SOURCE_DIR) + "/tests/data/bad/" + name);
}

JsonLimits limits_with(int max_depth, uint64_t max_elements, uint64_t max_bytes) {
  JsonLimits limits;
  limits.max_depth = max_depth;
  limits.max_elements = max_elements;
  limits.max_bytes = max_bytes;
  return limits;
}

}  // namespace

TEST_CASE("a valid document parses to the same DOM as nlohmann::json::parse", "[json]") {
  const std::string text = R"({
    "model_type": "gpt2", "n_layer": 12, "neg": -7, "big": 18446744073709551615,
    "eps": 1e-05, "flag": true, "none": null, "nested": {"a": [1, [2, {"b": "c"}], {}], "e": []},
    "unicode": "caf\u00e9 \ud83d\ude00 \u4e2d", "esc": "a\"b\\c\n"
  })";
  const json strict = parse_json_strict(text, "doc.json");
  CHECK(strict == json::parse(text));
  CHECK(strict["big"].is_number_unsigned());
  CHECK(strict["neg"].is_number_integer());
  CHECK(strict["nested"]["a"][1][1]["b"] == "c");
  CHECK(strict["unicode"].get<std::string>() == "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe4\xb8\xad");
}

TEST_CASE("the same key in different objects is not a duplicate", "[json]") {
  const json j = parse_json_strict(R"({"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}]})", "doc.json");
  CHECK(j["c"][1]["x"] == 4);
}

TEST_CASE("scalars and empty containers are valid documents", "[json]") {
  CHECK(parse_json_strict("42", "doc.json") == 42);
  CHECK(parse_json_strict(" \"s\" ", "doc.json") == "s");
  CHECK(parse_json_strict("[]", "doc.json").is_array());
  CHECK(parse_json_strict("{}", "doc.json").is_object());
}

TEST_CASE("duplicate keys are refused with the key and its JSON path", "[json]") {
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-duplicate-key.json"), "config.json"),
                    "config.json: duplicate key \"n_layer\" at /");
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-duplicate-key-nested.json"), "data.json"),
                    "data.json: duplicate key \"c\" at /a/1/b");
  // path segments are escaped as in a JSON pointer
  CHECK_THROWS_WITH(parse_json_strict(R"({"a/b": {"t~": {"k": 1, "k": 2}}})", "doc.json"),
                    "doc.json: duplicate key \"k\" at /a~1b/t~0");
}

TEST_CASE("nesting deeper than max_depth is refused", "[json]") {
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-too-deep.json"), "data.json"),
                    Catch::StartsWith("data.json: nesting deeper than 64 levels at /0/0/0"));
  const JsonLimits limits = limits_with(3, 1000, 1000);
  CHECK_NOTHROW(parse_json_strict(R"({"a": [[1]]})", "doc.json", limits));
  CHECK_THROWS_WITH(parse_json_strict(R"({"a": [[[1]]]})", "doc.json", limits),
                    "doc.json: nesting deeper than 3 levels at /a/0/0");
  CHECK_THROWS_WITH(parse_json_strict(R"([1, {"k": [2, [3]]}])", "doc.json", limits),
                    "doc.json: nesting deeper than 3 levels at /1/k/1");
}

TEST_CASE("more than max_elements values is refused", "[json]") {
  // [1, 2, 3] is four values: the array and its three numbers
  CHECK_NOTHROW(parse_json_strict("[1, 2, 3]", "doc.json", limits_with(64, 4, 1000)));
  CHECK_THROWS_WITH(parse_json_strict("[1, 2, 3]", "doc.json", limits_with(64, 3, 1000)),
                    "doc.json: more than 3 JSON values (at /2)");
  CHECK_THROWS_WITH(parse_json_strict(R"({"a": {"b": 1}})", "doc.json", limits_with(64, 2, 1000)),
                    "doc.json: more than 2 JSON values (at /a/b)");
}

TEST_CASE("text longer than max_bytes is refused before parsing", "[json]") {
  CHECK_NOTHROW(parse_json_strict("[1, 2]", "doc.json", limits_with(64, 100, 6)));
  CHECK_THROWS_WITH(parse_json_strict("[1, 2] ", "doc.json", limits_with(64, 100, 6)),
                    "doc.json: 7 bytes of JSON exceed the limit of 6 bytes");
}

TEST_CASE("invalid UTF-8 is refused with its byte position", "[json]") {
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-invalid-utf8.json"), "data.json"),
                    Catch::StartsWith("data.json: invalid JSON at byte 14: ") && Catch::Contains("UTF-8"));
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-overlong-utf8.json"), "data.json"),
                    Catch::StartsWith("data.json: invalid JSON at byte 10: ") && Catch::Contains("UTF-8"));
  // the offending byte is shown escaped, so the message itself is valid UTF-8
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-overlong-utf8.json"), "data.json"), Catch::Contains("\\xc0"));
}

TEST_CASE("syntax errors are refused with their byte position", "[json]") {
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-syntax-error.json"), "data.json"),
                    Catch::StartsWith("data.json: invalid JSON at byte 14: syntax error"));
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-trailing-garbage.json"), "data.json"),
                    Catch::StartsWith("data.json: invalid JSON at byte 15: ") && Catch::Contains("end of input"));
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-unterminated.json"), "data.json"),
                    Catch::StartsWith("data.json: invalid JSON at byte 18: ") && Catch::Contains("end of input"));
  CHECK_THROWS_WITH(parse_json_strict("", "empty.json"), Catch::StartsWith("empty.json: invalid JSON at byte 0: "));
  CHECK_THROWS_WITH(parse_json_strict("nul", "doc.json"), Catch::StartsWith("doc.json: invalid JSON at byte "));
}

TEST_CASE("numbers beyond the range of a double are refused", "[json]") {
  CHECK_THROWS_WITH(parse_json_strict(bad_file("json-number-overflow.json"), "data.json"),
                    Catch::StartsWith("data.json: invalid JSON at byte ") && Catch::Contains("1e400"));
}

TEST_CASE("json_get_int checks the kind and the range before reading", "[json]") {
  const json j = parse_json_strict(
      R"({"n": 12, "neg": -3, "s": "x", "f": 2.5, "b": true, "z": null, "o": {}, "a": [],
          "huge": 18446744073709551615, "min": -9223372036854775808})",
      "c.json");
  CHECK(json_get_int(j, "n", "c.json", 1, 256) == 12);
  CHECK(json_get_int(j, "neg", "c.json", -10, 10) == -3);
  CHECK(json_get_int(j, "min", "c.json", INT64_MIN, 0) == INT64_MIN);
  CHECK(json_get_int(j, "n", "c.json", 12, 12) == 12);
  CHECK_THROWS_WITH(json_get_int(j, "s", "c.json", 1, 256), "c.json: s: expected integer in [1, 256], found string \"x\"");
  CHECK_THROWS_WITH(json_get_int(j, "f", "c.json", 1, 256), "c.json: f: expected integer in [1, 256], found 2.5");
  CHECK_THROWS_WITH(json_get_int(j, "b", "c.json", 1, 256), "c.json: b: expected integer in [1, 256], found true");
  CHECK_THROWS_WITH(json_get_int(j, "z", "c.json", 1, 256), "c.json: z: expected integer in [1, 256], found null");
  CHECK_THROWS_WITH(json_get_int(j, "o", "c.json", 1, 256), "c.json: o: expected integer in [1, 256], found an object");
  CHECK_THROWS_WITH(json_get_int(j, "a", "c.json", 1, 256), "c.json: a: expected integer in [1, 256], found an array");
  CHECK_THROWS_WITH(json_get_int(j, "n", "c.json", 1, 11), "c.json: n: expected integer in [1, 11], found 12");
  CHECK_THROWS_WITH(json_get_int(j, "n", "c.json", 13, 20), "c.json: n: expected integer in [13, 20], found 12");
  CHECK_THROWS_WITH(json_get_int(j, "neg", "c.json", 0, 10), "c.json: neg: expected integer in [0, 10], found -3");
  CHECK_THROWS_WITH(json_get_int(j, "huge", "c.json", 0, INT64_MAX),
                    "c.json: huge: expected integer in [0, 9223372036854775807], found 18446744073709551615");
  CHECK_THROWS_WITH(json_get_int(j, "n", "c.json", -5, -1), "c.json: n: expected integer in [-5, -1], found 12");
  CHECK_THROWS_WITH(json_get_int(j, "gone", "c.json", 1, 2),
                    "c.json: gone: expected integer in [1, 2], found nothing (the key is missing)");
  CHECK_THROWS_WITH(json_get_int(json::array(), "n", "c.json", 1, 2), "c.json: expected an object, found an array");
}

TEST_CASE("json_get_number, json_get_string and json_get_bool", "[json]") {
  const json j = parse_json_strict(R"({"i": 3, "u": 18446744073709551615, "f": -1.5e-6, "s": "silu", "b": false})", "c.json");
  CHECK(json_get_number(j, "i", "c.json") == Approx(3.0).margin(0));
  CHECK(json_get_number(j, "u", "c.json") == Approx(1.8446744073709552e19).epsilon(1e-15));
  CHECK(json_get_number(j, "f", "c.json") == Approx(-1.5e-6).epsilon(1e-15));
  CHECK(json_get_string(j, "s", "c.json") == "silu");
  CHECK_FALSE(json_get_bool(j, "b", "c.json"));
  CHECK_THROWS_WITH(json_get_number(j, "s", "c.json"), "c.json: s: expected a number, found string \"silu\"");
  CHECK_THROWS_WITH(json_get_string(j, "i", "c.json"), "c.json: i: expected a string, found 3");
  CHECK_THROWS_WITH(json_get_bool(j, "s", "c.json"), "c.json: s: expected a boolean, found string \"silu\"");
  CHECK_THROWS_WITH(json_get_bool(j, "x", "c.json"), "c.json: x: expected a boolean, found nothing (the key is missing)");
  CHECK_THROWS_WITH(json_get_number(json{{"inf", INFINITY}}, "inf", "c.json"), Catch::StartsWith("c.json: inf: expected a finite number"));
}

TEST_CASE("json_describe and json_has", "[json]") {
  CHECK(json_describe(json("abc")) == "string \"abc\"");
  CHECK(json_describe(json(std::string(100, 'a'))) == "string \"" + std::string(40, 'a') + "...\"");
  // a long string is cut at a whole UTF-8 sequence
  const std::string accents = std::string(39, 'a') + "\xc3\xa9\xc3\xa9";
  CHECK(json_describe(json(accents)) == "string \"" + std::string(39, 'a') + "...\"");
  CHECK(json_describe(json("a\nb")) == "string \"a\\x0ab\"");
  CHECK(json_describe(json(nullptr)) == "null");
  CHECK(json_describe(json(-4)) == "-4");
  CHECK(json_type_name(json(4u)) == "integer");
  CHECK(json_type_name(json(4.5)) == "number");
  const json j = {{"a", 1}, {"n", nullptr}};
  CHECK(json_has(j, "a"));
  CHECK_FALSE(json_has(j, "n"));
  CHECK_FALSE(json_has(j, "b"));
  CHECK_FALSE(json_has(json::array(), "a"));
}
