#include "bank/bank.h"

#include <set>

#include "base/error.h"
#include "io/json-reader.h"

namespace strata {
namespace {

using nlohmann::json;

constexpr size_t kMaxEntries = 100000;
constexpr size_t kMaxText = 4096;
constexpr const char* kSubject = "{subject}";

std::string text_field(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key)) throw Error(where + ": missing field \"" + key + "\"");
  const json& v = object[key];
  if (!v.is_string()) fail_expected(where + ": " + key, "a string", json_type_name(v));
  const std::string s = v.get<std::string>();
  if (s.empty()) fail_expected(where + ": " + key, "a non-empty string", "\"\"");
  if (s.size() > kMaxText) fail_expected(where + ": " + key, "at most " + std::to_string(kMaxText) + " bytes", std::to_string(s.size()));
  return s;
}

const json& array_field(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || !object[key].is_array())
    fail_expected(where + ": " + key, "an array", object.contains(key) ? json_type_name(object[key]) : "nothing");
  if (object[key].size() > kMaxEntries)
    fail_expected(where + ": " + key, "at most " + std::to_string(kMaxEntries) + " entries", std::to_string(object[key].size()));
  return object[key];
}

BankKind parse_kind(const json& spec, const std::string& where) {
  if (!spec.is_object()) fail_expected(where, "an object", json_type_name(spec));
  BankKind kind;
  kind.family = text_field(spec, "family", where);
  if (kind.family == "recall") {
    kind.template_text = text_field(spec, "template", where);
    const size_t first = kind.template_text.find(kSubject);
    if (first == std::string::npos || kind.template_text.find(kSubject, first + 1) != std::string::npos)
      fail_expected(where + ": template", "a string holding {subject} once", "\"" + kind.template_text + "\"");
  } else if (kind.family == "reasoning") {
    if (spec.contains("chance")) {
      kind.chance = json_get_number(spec, "chance", where);
      if (!(kind.chance > 0 && kind.chance <= 1)) fail_expected(where + ": chance", "a number in (0, 1]", std::to_string(kind.chance));
    }
  } else {
    fail_expected(where + ": family", "recall | reasoning", "\"" + kind.family + "\"");
  }
  return kind;
}

const BankKind& kind_of(const Bank& bank, const std::string& name, const std::string& family, const std::string& where) {
  const auto it = bank.kinds.find(name);
  if (it == bank.kinds.end()) throw Error(where + ": kind \"" + name + "\" is not among the bank's kinds");
  if (it->second.family != family)
    fail_expected(where + ": kind \"" + name + "\"", "a " + family + " kind", "a " + it->second.family + " kind");
  return it->second;
}

}  // namespace

std::string fill_template(const std::string& text, const std::string& subject) {
  std::string out = text;
  const size_t at = out.find(kSubject);
  if (at != std::string::npos) out.replace(at, std::string(kSubject).size(), subject);
  return out;
}

Bank parse_bank(const std::string& json_text, const std::string& label) {
  const json j = parse_json_strict(json_text, label);
  if (!j.is_object()) fail_expected(label, "a bank object", json_type_name(j));
  if (text_field(j, "format", label) != "strata-nl-bank")
    fail_expected(label + ": format", "\"strata-nl-bank\"", "\"" + j["format"].get<std::string>() + "\"");
  json_get_int(j, "version", label, 1, 1);
  Bank bank;
  bank.label = label;
  const json& lead_ins = array_field(j, "lead_ins", label);
  if (lead_ins.empty()) fail_expected(label + ": lead_ins", "at least one lead-in (\"\" for none)", "none");
  for (size_t i = 0; i < lead_ins.size(); ++i) {
    const std::string where = label + ": lead_ins[" + std::to_string(i) + "]";
    if (!lead_ins[i].is_string()) fail_expected(where, "a string", json_type_name(lead_ins[i]));
    const std::string text = lead_ins[i].get<std::string>();
    if (!text.empty() && text.back() != ' ') fail_expected(where, "\"\" or text ending in a space", "\"" + text + "\"");
    bank.lead_ins.push_back(text);
  }
  if (!j.contains("kinds") || !j["kinds"].is_object() || j["kinds"].empty())
    throw Error(label + ": kinds: expected an object of at least one kind");
  for (const auto& [name, spec] : j["kinds"].items()) bank.kinds[name] = parse_kind(spec, label + ": kinds: \"" + name + "\"");

  const json& facts = array_field(j, "facts", label);
  std::set<std::pair<std::string, std::string>> subjects;
  for (size_t i = 0; i < facts.size(); ++i) {
    const std::string where = label + ": facts[" + std::to_string(i) + "]";
    if (!facts[i].is_object()) fail_expected(where, "an object", json_type_name(facts[i]));
    BankFact fact{text_field(facts[i], "kind", where), text_field(facts[i], "subject", where),
                  text_field(facts[i], "answer", where)};
    kind_of(bank, fact.kind, "recall", where);
    if (!subjects.insert({fact.kind, fact.subject}).second)
      throw Error(where + ": subject \"" + fact.subject + "\" appears twice in kind \"" + fact.kind + "\"");
    bank.facts.push_back(std::move(fact));
  }

  const json& items = array_field(j, "items", label);
  std::set<std::string> prompts;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = label + ": items[" + std::to_string(i) + "]";
    const json& e = items[i];
    if (!e.is_object()) fail_expected(where, "an object", json_type_name(e));
    BankItem item{text_field(e, "kind", where), text_field(e, "prompt", where), text_field(e, "answer", where),
                  text_field(e, "corrupt_prompt", where), text_field(e, "corrupt_answer", where)};
    kind_of(bank, item.kind, "reasoning", where);
    if (item.answer == item.corrupt_answer) throw Error(where + ": corrupt_answer: expected an answer other than \"" + item.answer + "\"");
    if (e.contains("meta")) {
      if (!e["meta"].is_object()) fail_expected(where + ": meta", "an object", json_type_name(e["meta"]));
      item.meta = e["meta"];
    }
    if (!prompts.insert(item.prompt).second) throw Error(where + ": prompt appears twice: \"" + item.prompt + "\"");
    bank.items.push_back(std::move(item));
  }
  for (const auto& [name, kind] : bank.kinds) {
    bool used = false;
    for (const BankFact& f : bank.facts) used = used || f.kind == name;
    for (const BankItem& it : bank.items) used = used || it.kind == name;
    if (!used) throw Error(label + ": kinds: \"" + name + "\" has no " + (kind.family == "recall" ? "facts" : "items"));
  }
  return bank;
}

}  // namespace strata
