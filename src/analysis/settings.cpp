// The settings tables and their reader (settings.h).
#include "analysis/settings.h"

#include <algorithm>
#include <stdexcept>

#include "base/error.h"

namespace strata {

using nlohmann::json;

// --- rows ----------------------------------------------------------------------

Setting integer_setting(std::string name, int fallback, int min, int max, std::string doc) {
  return {std::move(name), SettingType::Integer, fallback, double(min), double(max), {}, false, std::move(doc)};
}

Setting per_model_integer_setting(std::string name, json fallback, int min, int max, std::string doc) {
  return {std::move(name), SettingType::Integer, std::move(fallback), double(min), double(max), {}, true, std::move(doc)};
}

Setting number_setting(std::string name, double fallback, double min, double max, std::string doc) {
  return {std::move(name), SettingType::Number, fallback, min, max, {}, false, std::move(doc)};
}

Setting flag_setting(std::string name, bool fallback, std::string doc) {
  return {std::move(name), SettingType::Flag, fallback, 0, 0, {}, false, std::move(doc)};
}

Setting choice_setting(std::string name, std::string fallback, std::vector<std::string> choices, std::string doc) {
  return {std::move(name), SettingType::Choice, std::move(fallback), 0, 0, std::move(choices), false, std::move(doc)};
}

Setting text_setting(std::string name, std::string doc) {
  return {std::move(name), SettingType::Text, nullptr, 0, 0, {}, false, std::move(doc)};
}

Setting names_setting(std::string name, std::string doc) {
  return {std::move(name), SettingType::Names, nullptr, 0, 0, {}, false, std::move(doc)};
}

Setting name_list_setting(std::string name, std::vector<std::string> fallback, std::vector<std::string> choices,
                          std::string doc) {
  return {std::move(name), SettingType::NameList, fallback, 0, 0, std::move(choices), false, std::move(doc)};
}

Setting only_in(SettingScope scope, Setting setting) {
  setting.scope = scope;
  return setting;
}

Setting shard_setting() {
  return {"shard", SettingType::Shard, json::array({0, 1}), 0, 4096, {}, false,
          "[index, count]: only the units with unit % count == index are computed, so that workers can split a "
          "sweep and merge it by concatenating \"units\" and sorting by \"unit\""};
}

Setting answered_setting() {
  Setting s = choice_setting("answered", "right", {"right", "all"},
                             "\"all\" keeps the items the suite marks as answered wrong by the loaded model");
  s.echoed_at_default = false;
  return s;
}

Setting budget_setting() {
  Setting s = number_setting("budget_seconds", 0.0, 0.0, 86400.0,
                             "a time budget (0: none); over it, fewer items by a stated rule, and the result says so "
                             "under \"budget\" (docs/methods.md)");
  s.echoed_at_default = false;
  return s;
}

Setting reuse_cache_setting() {
  return flag_setting("reuse_cache", true,
                      "resume intervened runs from the cached clean residual stream (false recomputes from the "
                      "embedding and gives the same numbers)");
}

// --- the table -----------------------------------------------------------------

namespace {

// ` "a" "b"`: the choices as an error message lists them, sorted.
std::string quoted(const std::set<std::string>& choices) {
  std::string out;
  for (const auto& c : choices) out += " \"" + c + "\"";
  return out;
}

const char* type_name(SettingType type) {
  switch (type) {
    case SettingType::Integer: return "integer";
    case SettingType::Number: return "number";
    case SettingType::Flag: return "flag";
    case SettingType::Choice: return "choice";
    case SettingType::Text: return "text";
    case SettingType::Names: return "names";
    case SettingType::NameList: return "name list";
    case SettingType::Shard: return "shard";
  }
  return "?";
}

}  // namespace

SettingsTable SettingsTable::operator+(const SettingsTable& more) const {
  std::vector<Setting> rows = rows_;
  for (const Setting& s : more.rows_) {
    if (declares(s.name)) throw std::logic_error("setting \"" + s.name + "\" declared twice");
    rows.push_back(s);
  }
  return SettingsTable(std::move(rows));
}

bool SettingsTable::declares(const std::string& name) const {
  return std::any_of(rows_.begin(), rows_.end(), [&](const Setting& s) { return s.name == name; });
}

const Setting& SettingsTable::at(const std::string& name) const {
  for (const Setting& s : rows_)
    if (s.name == name) return s;
  throw std::logic_error("setting \"" + name + "\" is not declared in its analysis's table");
}

json SettingsTable::to_json() const {
  json out = json::array();
  for (const Setting& s : rows_) {
    json row = {{"name", s.name}, {"type", type_name(s.type)}, {"default", s.fallback}, {"doc", s.doc}};
    if (s.type == SettingType::Integer || s.type == SettingType::Number) {
      row["min"] = s.type == SettingType::Integer ? json(static_cast<int64_t>(s.min)) : json(s.min);
      row["max"] = s.type == SettingType::Integer ? json(static_cast<int64_t>(s.max)) : json(s.max);
    }
    if (!s.choices.empty()) row["choices"] = s.choices;
    if (s.per_model) row["per_model"] = true;
    if (s.scope != SettingScope::Always) row["applies"] = s.scope == SettingScope::Focus ? "prompt or item" : "suite";
    out.push_back(std::move(row));
  }
  return out;
}

json SettingsTable::defaults() const {
  json out = json::object();
  for (const Setting& s : rows_) out[s.name] = s.fallback;
  return out;
}

// --- the reader ----------------------------------------------------------------

SettingsReader::SettingsReader(const json& settings, std::string analysis, const SettingsTable& table)
    : settings_(settings), analysis_(std::move(analysis)), table_(table) {
  if (!settings_.is_object()) fail_expected(analysis_, "an object of settings", settings_.type_name());
}

const Setting& SettingsReader::row(const std::string& key, SettingType type) const {
  const Setting& s = table_.at(key);
  if (s.type != type)
    throw std::logic_error(analysis_ + "." + key + " is declared a " + type_name(s.type) + ", read as a " +
                           type_name(type));
  return s;
}

const json* SettingsReader::find(const std::string& key) {
  read_.insert(key);
  const auto it = settings_.find(key);
  return it == settings_.end() || it->is_null() ? nullptr : &*it;
}

int SettingsReader::get_int(const std::string& key) {
  const Setting& s = row(key, SettingType::Integer);
  if (s.per_model) throw std::logic_error(where(key) + ": its default comes from the model");
  return get_int(key, s.fallback.get<int>(), static_cast<int>(s.min), static_cast<int>(s.max));
}

int SettingsReader::get_int(const std::string& key, int fallback, int min_value, int max_value) {
  row(key, SettingType::Integer);
  const json* v = find(key);
  if (!v) return used(key, fallback);
  const std::string range = "an integer in [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "]";
  if (!v->is_number_integer()) fail_expected(where(key), range, v->dump());
  const int64_t x = v->get<int64_t>();
  if (x < min_value || x > max_value) fail_expected(where(key), range, v->dump());
  return used(key, static_cast<int>(x));
}

double SettingsReader::get_double(const std::string& key) {
  const Setting& s = row(key, SettingType::Number);
  const json* v = find(key);
  if (!v) return used(key, s.fallback.get<double>());
  const std::string range = "a number in [" + json(s.min).dump() + ", " + json(s.max).dump() + "]";
  if (!v->is_number()) fail_expected(where(key), range, v->dump());
  const double x = v->get<double>();
  if (!(x >= s.min && x <= s.max)) fail_expected(where(key), range, v->dump());
  return used(key, x);
}

bool SettingsReader::get_bool(const std::string& key) {
  const Setting& s = row(key, SettingType::Flag);
  const json* v = find(key);
  if (!v) return used(key, s.fallback.get<bool>());
  if (!v->is_boolean()) fail_expected(where(key), "true or false", v->dump());
  return used(key, v->get<bool>());
}

std::string SettingsReader::get_choice(const std::string& key) {
  const Setting& s = row(key, SettingType::Choice);
  const json* v = find(key);
  if (!v) return used(key, s.fallback.get<std::string>());
  const std::set<std::string> choices(s.choices.begin(), s.choices.end());
  const std::string expected = "one of" + quoted(choices);
  if (!v->is_string() || !choices.count(v->get<std::string>())) fail_expected(where(key), expected, v->dump());
  return used(key, v->get<std::string>());
}

std::vector<std::string> SettingsReader::get_names(const std::string& key) {
  const Setting& s = table_.at(key);
  if (s.type != SettingType::Names && s.type != SettingType::NameList) row(key, SettingType::Names);
  const json* v = find(key);
  if (!v) {
    used_[key] = s.fallback;
    return s.type == SettingType::NameList ? s.fallback.get<std::vector<std::string>>() : std::vector<std::string>{};
  }
  const std::set<std::string> choices(s.choices.begin(), s.choices.end());
  const std::string expected =
      "a non-empty array of distinct names" + (s.type == SettingType::NameList ? " from" + quoted(choices) : "");
  if (!v->is_array() || v->empty()) fail_expected(where(key), expected, v->dump());
  std::vector<std::string> out;
  for (const json& name : *v) {
    if (!name.is_string() || std::count(out.begin(), out.end(), name.get<std::string>()) ||
        (s.type == SettingType::NameList && !choices.count(name.get<std::string>())))
      fail_expected(where(key), expected, name.dump());
    out.push_back(name.get<std::string>());
  }
  return used(key, out);
}

std::pair<int, int> SettingsReader::get_shard() {
  row("shard", SettingType::Shard);
  const json* v = find("shard");
  if (!v) return used("shard", std::pair<int, int>{0, 1});
  const std::string expected = "[index, count] with 0 <= index < count <= 4096";
  if (!v->is_array() || v->size() != 2 || !(*v)[0].is_number_integer() || !(*v)[1].is_number_integer())
    fail_expected(where("shard"), expected, v->dump());
  const int64_t index = (*v)[0].get<int64_t>(), count = (*v)[1].get<int64_t>();
  if (count < 1 || count > 4096 || index < 0 || index >= count) fail_expected(where("shard"), expected, v->dump());
  return used("shard", std::pair<int, int>{static_cast<int>(index), static_cast<int>(count)});
}

json SettingsReader::echo() const {
  json out = used_;
  for (const Setting& s : table_.rows())
    if (!s.echoed_at_default && out.contains(s.name) && out[s.name] == s.fallback) out.erase(s.name);
  return out;
}

void SettingsReader::finish() const {
  for (const auto& [key, value] : settings_.items())
    if (!read_.count(key)) throw Error(where(key) + ": unknown setting");
}

bool read_keep_answered_wrong(SettingsReader& reader) { return reader.get_choice("answered") == "all"; }

}  // namespace strata
