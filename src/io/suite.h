// suite.json: a model's controlled prompt items.
//
//   {"format": "strata-suite", "version": 1, "model": "<id>", "seed": N,
//    "kinds": {"<kind>": {"family": "recall"|"reasoning"|"mixed", "optional": false, ...}},  (optional)
//    "items": [{"id", "kind", "family", "split": "trained"|"heldout",
//               "prompt", "answer", "corrupt_prompt", "corrupt_answer", "meta": {...}}]}
//
// The answer is the token that follows the prompt. A prompt and its corrupt
// prompt have the same token length (checked when a tokenizer is at hand).
// Malformed suites get one line naming the item and the field.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata {

struct SuiteItem {
  std::string id;
  std::string kind;
  std::string family;  // recall | reasoning | mixed
  std::string split;   // trained | heldout
  std::string prompt;
  std::string answer;
  std::string corrupt_prompt;
  std::string corrupt_answer;
  nlohmann::json meta;
};

struct SuiteKind {
  std::string family;
  bool optional = false;
};

struct Suite {
  std::string label;  // the file it was read from, for messages
  std::string model;
  int64_t seed = 0;
  std::map<std::string, SuiteKind> kinds;  // every kind the items use
  std::vector<SuiteItem> items;
};

Suite parse_suite(const std::string& json_text, const std::string& label);

}  // namespace strata
