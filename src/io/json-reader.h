// Strict JSON parsing for every file Strata reads (config, tokenizer, suite,
// report, the safetensors header, interventions).
//
// nlohmann::json silently keeps the last of two duplicate keys and has no
// depth or size caps; parse_json_strict parses through SAX so that duplicate
// keys, excessive nesting and excessive element counts are errors that name
// the file and the JSON path where they occur.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace strata {

struct JsonLimits {
  int max_depth = 64;
  uint64_t max_elements = 8'000'000;  // values of any kind, counted as they are parsed
  uint64_t max_bytes = 64ull << 20;
};

nlohmann::json parse_json_strict(const std::string& text, const std::string& label,
                                 const JsonLimits& limits = JsonLimits{});

// Errors of parse_json_strict begin with the label and name the place:
//   config.json: duplicate key "n_layer" at /
//   config.json: nesting deeper than 64 levels at /a/0/b
//   config.json: invalid JSON at byte 17: syntax error while parsing ...
//
// Typed field access that fails with "<label>: <key>: expected <type>, found <what>",
// e.g. "config.json: n_layer: expected integer in [1, 256], found string \"x\"".
// A number is only read as an integer after it is checked to be one.
std::string json_type_name(const nlohmann::json& value);  // "null", "integer", "string", ...
std::string json_describe(const nlohmann::json& value);   // "string \"x\"", "-3", "true", "an object", ...
bool json_has(const nlohmann::json& object, const char* key);  // present and not null
int64_t json_get_int(const nlohmann::json& object, const char* key, const std::string& label,
                     int64_t min_value, int64_t max_value);
double json_get_number(const nlohmann::json& object, const char* key, const std::string& label);
std::string json_get_string(const nlohmann::json& object, const char* key, const std::string& label);
bool json_get_bool(const nlohmann::json& object, const char* key, const std::string& label);

}  // namespace strata
