// The natural-language template bank (models/nl-bank/bank.json): the facts
// and items that suites for pretrained models are built from
// (suite-builder.h). Its format:
//
//   {"format": "strata-nl-bank", "version": 1,
//    "lead_ins": ["", "Question: ", ...],
//    "kinds": {"<kind>": {"family": "recall", "template": "The capital of {subject} is"}
//              | {"family": "reasoning", "chance": 0.333}},              (chance optional)
//    "facts": [{"kind", "subject", "answer"}],                           (recall kinds)
//    "items": [{"kind", "prompt", "answer", "corrupt_prompt", "corrupt_answer", "meta": {...}}]}
//                                                                        (reasoning kinds)
//
// A lead-in is a sentence without facts put before a prompt of any kind (so
// that every kind reaches a common token length): "" or text ending in a
// space. A recall kind's template holds "{subject}" once; a fact's prompt is
// a lead-in and the template with the fact's subject in it. Answers are
// written as they follow the prompt, with their leading space (" Paris"). A
// reasoning item carries its own corruption: a prompt whose stated facts give
// another answer.
// Malformed banks get one line naming the kind, fact or item and the field.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata {

struct BankKind {
  std::string family;                  // recall | reasoning
  std::string template_text;           // recall: holds "{subject}" once
  double chance = 0;                   // reasoning, optional: in (0, 1]; 0 when not stated
};

struct BankFact {
  std::string kind;
  std::string subject;
  std::string answer;
};

struct BankItem {
  std::string kind;
  std::string prompt;
  std::string answer;
  std::string corrupt_prompt;
  std::string corrupt_answer;
  nlohmann::json meta = nlohmann::json::object();
};

struct Bank {
  std::string label;  // the file it was read from, for messages
  std::vector<std::string> lead_ins;
  std::map<std::string, BankKind> kinds;
  std::vector<BankFact> facts;
  std::vector<BankItem> items;
};

Bank parse_bank(const std::string& json_text, const std::string& label);

// A recall template with the subject in place of "{subject}".
std::string fill_template(const std::string& text, const std::string& subject);

}  // namespace strata
