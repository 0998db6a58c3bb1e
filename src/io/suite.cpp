#include "io/suite.h"

#include <set>

#include "base/error.h"
#include "io/json-reader.h"

namespace strata {
namespace {

constexpr size_t kMaxItems = 100000;
constexpr size_t kMaxText = 4096;
const std::set<std::string> kFamilies = {"recall", "reasoning", "mixed", "conflict"};

std::string text_field(const nlohmann::json& item, const char* key, const std::string& where, bool required = true) {
  if (!item.contains(key)) {
    if (!required) return "";
    throw Error(where + ": missing field \"" + key + "\"");
  }
  const nlohmann::json& v = item[key];
  if (!v.is_string()) fail_expected(where + ": " + key, "a string", json_type_name(v));
  const std::string s = v.get<std::string>();
  if (s.size() > kMaxText) fail_expected(where + ": " + key, "at most " + std::to_string(kMaxText) + " bytes", std::to_string(s.size()));
  return s;
}

void check_one_of(const std::string& value, const std::set<std::string>& allowed, const std::string& where) {
  if (allowed.count(value)) return;
  std::string list;
  for (const std::string& a : allowed) list += (list.empty() ? "" : " | ") + a;
  fail_expected(where, list, "\"" + value + "\"");
}

SuiteItem parse_item(const nlohmann::json& j, size_t index, const std::string& label) {
  std::string where = label + ": items[" + std::to_string(index) + "]";
  if (!j.is_object()) fail_expected(where, "an object", json_type_name(j));
  SuiteItem item;
  item.id = text_field(j, "id", where);
  where += " (\"" + item.id + "\")";
  item.kind = text_field(j, "kind", where);
  item.family = text_field(j, "family", where);
  check_one_of(item.family, kFamilies, where + ": family");
  item.split = text_field(j, "split", where);
  check_one_of(item.split, {"trained", "heldout"}, where + ": split");
  item.prompt = text_field(j, "prompt", where);
  if (item.prompt.empty()) throw Error(where + ": prompt: expected a non-empty string");
  item.answer = text_field(j, "answer", where);
  if (item.answer.empty()) throw Error(where + ": answer: expected a non-empty string");
  item.corrupt_prompt = text_field(j, "corrupt_prompt", where);
  item.corrupt_answer = text_field(j, "corrupt_answer", where, false);
  if (j.contains("meta")) {
    if (!j["meta"].is_object()) fail_expected(where + ": meta", "an object", json_type_name(j["meta"]));
    item.meta = j["meta"];
  }
  if (item.family == "conflict") {
    if (!item.meta.is_object() || !item.meta.contains("memory_answer"))
      throw Error(where + ": meta: a conflict item needs \"memory_answer\", the answer the model memorised");
    item.memory_answer = text_field(item.meta, "memory_answer", where + ": meta");
    if (item.memory_answer.empty() || item.memory_answer == item.answer)
      fail_expected(where + ": meta: memory_answer", "a non-empty answer other than the stated one",
                    "\"" + item.memory_answer + "\"");
  }
  return item;
}

AnsweredWrong parse_answered_wrong(const nlohmann::json& j, const std::set<std::string>& ids, const std::string& label) {
  const std::string where = label + ": answered_wrong";
  if (!j.is_object()) fail_expected(where, "an object", json_type_name(j));
  for (const auto& [key, value] : j.items())
    if (key != "weights_sha256" && key != "items") throw Error(where + ": unknown field \"" + key + "\"");
  AnsweredWrong marks;
  marks.weights_sha256 = text_field(j, "weights_sha256", where);
  if (marks.weights_sha256.size() != 64 ||
      marks.weights_sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
    fail_expected(where + ": weights_sha256", "64 lowercase hex digits", "\"" + marks.weights_sha256.substr(0, 80) + "\"");
  if (!j.contains("items") || !j["items"].is_array()) throw Error(where + ": items: expected an array of item ids");
  for (size_t i = 0; i < j["items"].size(); ++i) {
    const nlohmann::json& id = j["items"][i];
    const std::string at = where + ": items[" + std::to_string(i) + "]";
    if (!id.is_string()) fail_expected(at, "an item id", json_type_name(id));
    if (!ids.count(id.get<std::string>())) throw Error(at + ": no item has the id \"" + id.get<std::string>().substr(0, 80) + "\"");
    if (!marks.ids.insert(id.get<std::string>()).second) throw Error(at + ": \"" + id.get<std::string>() + "\" is listed twice");
  }
  return marks;
}

}  // namespace

Suite parse_suite(const std::string& json_text, const std::string& label) {
  const nlohmann::json j = parse_json_strict(json_text, label);
  if (!j.is_object()) fail_expected(label, "a suite object", json_type_name(j));
  if (text_field(j, "format", label) != "strata-suite")
    fail_expected(label + ": format", "\"strata-suite\"", "\"" + j["format"].get<std::string>() + "\"");
  json_get_int(j, "version", label, 1, 1);
  Suite suite;
  suite.label = label;
  suite.model = text_field(j, "model", label, false);
  if (j.contains("seed")) suite.seed = json_get_int(j, "seed", label, 0, int64_t{1} << 53);
  if (j.contains("kinds")) {
    if (!j["kinds"].is_object()) fail_expected(label + ": kinds", "an object", json_type_name(j["kinds"]));
    for (const auto& [name, spec] : j["kinds"].items()) {
      const std::string where = label + ": kinds: \"" + name + "\"";
      if (!spec.is_object()) fail_expected(where, "an object", json_type_name(spec));
      SuiteKind kind;
      kind.family = text_field(spec, "family", where);
      check_one_of(kind.family, kFamilies, where + ": family");
      if (spec.contains("optional")) kind.optional = json_get_bool(spec, "optional", where);
      if (spec.contains("chance")) {
        kind.chance = json_get_number(spec, "chance", where);
        if (!(kind.chance > 0 && kind.chance <= 1))
          fail_expected(where + ": chance", "a number in (0, 1]", std::to_string(kind.chance));
      }
      suite.kinds[name] = kind;
    }
  }
  if (!j.contains("items") || !j["items"].is_array()) throw Error(label + ": items: expected an array of items");
  if (j["items"].size() > kMaxItems)
    fail_expected(label + ": items", "at most " + std::to_string(kMaxItems), std::to_string(j["items"].size()));
  std::set<std::string> ids;
  for (size_t i = 0; i < j["items"].size(); ++i) {
    SuiteItem item = parse_item(j["items"][i], i, label);
    if (!ids.insert(item.id).second) throw Error(label + ": items[" + std::to_string(i) + "]: duplicate id \"" + item.id + "\"");
    auto kind = suite.kinds.find(item.kind);
    if (kind == suite.kinds.end()) suite.kinds[item.kind] = {item.family, false};
    else if (kind->second.family != item.family)
      fail_expected(label + ": items[" + std::to_string(i) + "] (\"" + item.id + "\"): family",
                    "\"" + kind->second.family + "\" like the rest of kind \"" + item.kind + "\"", "\"" + item.family + "\"");
    suite.items.push_back(std::move(item));
  }
  if (j.contains("answered_wrong")) suite.answered_wrong = parse_answered_wrong(j["answered_wrong"], ids, label);
  return suite;
}

}  // namespace strata
