// suite.json: a model's controlled prompt items.
//
//   {"format": "strata-suite", "version": 1, "model": "<id>", "seed": N,
//    "kinds": {"<kind>": {"family": "recall"|"reasoning"|"mixed"|"conflict", "optional": false,
//                         "chance": 0.5}},                                    (optional)
//    "items": [{"id", "kind", "family", "split": "trained"|"heldout",
//               "prompt", "answer", "corrupt_prompt", "corrupt_answer", "meta": {...}}],
//    "answered_wrong": {"weights_sha256": "<64 hex>", "items": ["<id>", ...]}}  (optional)
//
// A kind's chance is the accuracy of a guess that knows only the answer's form
// (one of the two names a comparison asks about: 0.5); analyses normalise
// accuracy drops by the distance from it. Without it they take 1 / the number
// of distinct answers of the kind in the suite.
//
// "answered_wrong" marks the items one model (named by its weights' SHA-256)
// gets wrong under exact match (`strata suite --model`, the page's built
// suites; analysis/shared/evaluate.h). Analyses on that model leave them out,
// as the study does; on another model the marks are refused (answered_wrong in
// analysis/analysis.h).
//
// A "conflict" item's prompt states a fact that contradicts what the model
// memorised: its answer is the stated one and meta.memory_answer (required)
// the memorised one; `strata eval` counts which of the two the model gives.
//
// The answer is the token that follows the prompt. A prompt and its corrupt
// prompt have the same token length (checked when a tokenizer is at hand).
// Malformed suites get one line naming the item and the field.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata {

struct SuiteItem {
  std::string id;
  std::string kind;
  std::string family;  // recall | reasoning | mixed | conflict
  std::string split;   // trained | heldout
  std::string prompt;
  std::string answer;
  std::string corrupt_prompt;
  std::string corrupt_answer;
  std::string memory_answer;  // conflict items only: the memorised answer (meta.memory_answer)
  nlohmann::json meta;
};

struct SuiteKind {
  std::string family;
  bool optional = false;
  double chance = 0;  // in (0, 1]; 0 when the suite does not state it
};

// The items one model answers wrong; empty weights_sha256 when the suite has no marks.
struct AnsweredWrong {
  std::string weights_sha256;
  std::set<std::string> ids;
};

struct Suite {
  std::string label;  // the file it was read from, for messages
  std::string model;
  int64_t seed = 0;
  std::map<std::string, SuiteKind> kinds;  // every kind the items use
  std::vector<SuiteItem> items;
  AnsweredWrong answered_wrong;
};

Suite parse_suite(const std::string& json_text, const std::string& label);

}  // namespace strata
