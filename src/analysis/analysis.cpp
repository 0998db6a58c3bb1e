#include "analysis/analysis.h"

#include "base/error.h"

namespace strata {

using nlohmann::json;

const Suite& AnalysisRequest::require_suite(const std::string& analysis) const {
  if (!suite) throw Error(analysis + ": needs a suite (--suite FILE)");
  return *suite;
}

const std::set<std::string>& answered_wrong(const Session& session, const Suite& suite, bool keep) {
  static const std::set<std::string> none;
  if (keep) return none;
  const AnsweredWrong& marks = suite.answered_wrong;
  const std::string& loaded = session.model().weights_sha256;
  if (!marks.weights_sha256.empty() && marks.weights_sha256 != loaded)
    throw Error(suite.label + ": answered_wrong: the items were marked for the model whose weights' SHA-256 is " +
                marks.weights_sha256.substr(0, 12) + "…, not the loaded one (" + loaded.substr(0, 12) +
                "…); build the suite for this model (strata suite --model DIR)");
  return marks.ids;
}

bool read_keep_answered_wrong(SettingsReader& reader) {
  return reader.get_choice("answered", "right", {"right", "all"}) == "all";
}

SettingsReader::SettingsReader(const json& settings, std::string analysis)
    : settings_(settings), analysis_(std::move(analysis)) {
  if (!settings_.is_object()) fail_expected(analysis_, "an object of settings", settings_.type_name());
}

const json* SettingsReader::find(const std::string& key) {
  read_.insert(key);
  const auto it = settings_.find(key);
  return it == settings_.end() || it->is_null() ? nullptr : &*it;
}

int SettingsReader::get_int(const std::string& key, int fallback, int min_value, int max_value) {
  const json* v = find(key);
  if (!v) return fallback;
  const std::string range = "an integer in [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "]";
  if (!v->is_number_integer()) fail_expected(where(key), range, v->dump());
  const int64_t x = v->get<int64_t>();
  if (x < min_value || x > max_value) fail_expected(where(key), range, v->dump());
  return static_cast<int>(x);
}

double SettingsReader::get_double(const std::string& key, double fallback, double min_value, double max_value) {
  const json* v = find(key);
  if (!v) return fallback;
  const std::string range = "a number in [" + json(min_value).dump() + ", " + json(max_value).dump() + "]";
  if (!v->is_number()) fail_expected(where(key), range, v->dump());
  const double x = v->get<double>();
  if (!(x >= min_value && x <= max_value)) fail_expected(where(key), range, v->dump());
  return x;
}

bool SettingsReader::get_bool(const std::string& key, bool fallback) {
  const json* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail_expected(where(key), "true or false", v->dump());
  return v->get<bool>();
}

std::string SettingsReader::get_choice(const std::string& key, const std::string& fallback,
                                       const std::set<std::string>& choices) {
  const json* v = find(key);
  if (!v) return fallback;
  std::string expected = "one of";
  for (const auto& c : choices) expected += " \"" + c + "\"";
  if (!v->is_string() || !choices.count(v->get<std::string>())) fail_expected(where(key), expected, v->dump());
  return v->get<std::string>();
}

void SettingsReader::finish() const {
  for (const auto& [key, value] : settings_.items())
    if (!read_.count(key)) throw Error(where(key) + ": unknown setting");
}

}  // namespace strata
