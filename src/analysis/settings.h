// Every analysis declares its settings in one table (name, type, default,
// range or choices, one line of doc), and reads them through a reader bound
// to that table. The table is the one source: the reader takes each default
// and range from it, `strata analyze --list --json` and the page's engine
// list carry it, and docs/settings.md is written from it
// (scripts/settings-doc.mjs; a node test keeps the file current).
//
// Errors read "<analysis>.<key>: expected ..., found ...". Every key read is
// remembered; finish() rejects the keys nobody read, so a misspelt setting
// is an error naming it rather than silently ignored. Asking the reader for
// a key its table does not declare, or as another type, is a programming
// error (std::logic_error).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace strata {

enum class SettingType {
  Integer,
  Number,
  Flag,      // true | false
  Choice,    // one string of a closed list
  Text,      // a free string (a prompt, an answer, an item id)
  Names,     // an array of distinct strings without a closed list (kind names)
  NameList,  // an array of distinct strings from a closed list
  Shard,     // [index, count]
};

// When a setting applies: always, or (for the analyses that look at one
// prompt or item, or else at the suite) only in one of those modes; given in
// the other mode it is refused.
enum class SettingScope { Always, Focus, Suite };

struct Setting {
  std::string name;
  SettingType type = SettingType::Integer;
  // The default; null when absence means "not given" (Text, Names) or when
  // the default depends on the model (`per_model`; the doc says how).
  nlohmann::json fallback;
  double min = 0, max = 0;           // Integer, Number: the widest range
  std::vector<std::string> choices;  // Choice, NameList
  bool per_model = false;            // default or range set by the loaded model (the doc says how)
  std::string doc;
  SettingScope scope = SettingScope::Always;
  bool echoed_at_default = true;  // false: the echo names it only when it is not the default
};

// `setting` applying only in `scope`.
Setting only_in(SettingScope scope, Setting setting);

Setting integer_setting(std::string name, int fallback, int min, int max, std::string doc);
Setting number_setting(std::string name, double fallback, double min, double max, std::string doc);
Setting flag_setting(std::string name, bool fallback, std::string doc);
Setting choice_setting(std::string name, std::string fallback, std::vector<std::string> choices, std::string doc);
Setting text_setting(std::string name, std::string doc);
Setting names_setting(std::string name, std::string doc);
Setting name_list_setting(std::string name, std::vector<std::string> fallback, std::vector<std::string> choices,
                          std::string doc);
Setting shard_setting();
// An integer whose default (null here) or range comes from the model; min and max are the widest.
Setting per_model_integer_setting(std::string name, nlohmann::json fallback, int min, int max, std::string doc);

// The settings the analyses over the suite's items share.
// (these two are echoed only when they are not the default)
Setting answered_setting();     // "answered": "right" (default) | "all"
Setting budget_setting();       // "budget_seconds": 0 (none) in [0, 86400]
Setting reuse_cache_setting();  // "reuse_cache": true

class SettingsTable {
 public:
  SettingsTable(std::initializer_list<Setting> rows) : rows_(rows) {}
  explicit SettingsTable(std::vector<Setting> rows) : rows_(std::move(rows)) {}

  // This table and then `more`, as one (each name once).
  SettingsTable operator+(const SettingsTable& more) const;

  const std::vector<Setting>& rows() const { return rows_; }
  // std::logic_error when the table does not declare `name`.
  const Setting& at(const std::string& name) const;
  bool declares(const std::string& name) const;

  // [{"name", "type", "default", "min"?, "max"?, "choices"?, "per_model"?, "applies"?, "doc"}]
  // in table order ("applies": "prompt or item" | "suite" for a scoped row).
  nlohmann::json to_json() const;
  // {name: default} for every row.
  nlohmann::json defaults() const;

 private:
  std::vector<Setting> rows_;
};

// Typed, ranged access to an analysis's settings object, by its table.
class SettingsReader {
 public:
  SettingsReader(const nlohmann::json& settings, std::string analysis, const SettingsTable& table);

  int get_int(const std::string& key);
  // For a per_model row: the model's default and range.
  int get_int(const std::string& key, int fallback, int min_value, int max_value);
  double get_double(const std::string& key);
  bool get_bool(const std::string& key);
  std::string get_choice(const std::string& key);
  // Names: empty when absent. NameList: the row's default when absent.
  std::vector<std::string> get_names(const std::string& key);
  // [index, count] with 0 <= index < count; [0, 1] when absent.
  std::pair<int, int> get_shard();
  void finish() const;
  // {key: value used} for every key read (a Names setting left out: null), as
  // a result's "settings" echo; a row not echoed_at_default is left out at its default.
  nlohmann::json echo() const;

  const std::string& analysis() const { return analysis_; }
  const SettingsTable& table() const { return table_; }

 private:
  const Setting& row(const std::string& key, SettingType type) const;
  const nlohmann::json* find(const std::string& key);
  template <class T>
  T used(const std::string& key, T value) {
    used_[key] = value;
    return value;
  }
  std::string where(const std::string& key) const { return analysis_ + "." + key; }

  const nlohmann::json& settings_;
  std::string analysis_;
  const SettingsTable& table_;
  std::set<std::string> read_;
  nlohmann::json used_ = nlohmann::json::object();
};

// The setting "answered": true for "all" (keep the items the suite marks answered wrong).
bool read_keep_answered_wrong(SettingsReader& reader);

}  // namespace strata
