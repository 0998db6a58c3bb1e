// The settings tables and their reader (src/analysis/settings.h): defaults and
// ranges come from the table, a bad value is one error naming the setting, and
// a read the table does not declare is a programming error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>

#include "analysis/registry.h"
#include "analysis/settings.h"
#include "base/error.h"

using namespace strata;
using nlohmann::json;
using Catch::Matchers::Equals;

namespace {

const SettingsTable& table() {
  static const SettingsTable t = {integer_setting("n", 3, 1, 10, "how many"),
                                  number_setting("x", 0.5, 0.0, 1.0, "a share"),
                                  flag_setting("on", true, "whether"),
                                  choice_setting("mode", "b", {"b", "a"}, "which"),
                                  names_setting("kinds", "which kinds"),
                                  name_list_setting("levels", {"p"}, {"p", "q"}, "which levels"),
                                  per_model_integer_setting("k", nullptr, 0, 100, "set by the model"),
                                  shard_setting()};
  return t;
}

std::string error_of(const json& settings, void (*read)(SettingsReader&)) {
  try {
    SettingsReader r(settings, "demo", table());
    read(r);
    r.finish();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the reader takes each default and range from the table", "[settings]") {
  const json none = json::object();
  SettingsReader r(none, "demo", table());
  CHECK(r.get_int("n") == 3);
  CHECK(r.get_double("x") == 0.5);
  CHECK(r.get_bool("on"));
  CHECK(r.get_choice("mode") == "b");
  CHECK(r.get_names("kinds").empty());
  CHECK(r.get_names("levels") == std::vector<std::string>{"p"});
  CHECK(r.get_int("k", 7, 0, 9) == 7);
  CHECK(r.get_shard() == std::pair<int, int>{0, 1});
  r.finish();

  const json given = {{"n", 10}, {"x", 0}, {"on", false}, {"mode", "a"}, {"kinds", {"c"}}, {"levels", {"q", "p"}},
                      {"k", 9}, {"shard", {1, 2}}};
  SettingsReader g(given, "demo", table());
  CHECK(g.get_int("n") == 10);
  CHECK(g.get_double("x") == 0.0);
  CHECK(!g.get_bool("on"));
  CHECK(g.get_choice("mode") == "a");
  CHECK(g.get_names("kinds") == std::vector<std::string>{"c"});
  CHECK(g.get_names("levels") == std::vector<std::string>{"q", "p"});
  CHECK(g.get_int("k", 7, 0, 9) == 9);
  CHECK(g.get_shard() == std::pair<int, int>{1, 2});
  g.finish();
}

TEST_CASE("the echo holds every setting read with the value used", "[settings]") {
  const SettingsTable t = table() + SettingsTable{answered_setting(), budget_setting()};
  const auto echo_of = [&](const json& given) {
    SettingsReader r(given, "demo", t);
    r.get_int("n");
    r.get_double("x");
    r.get_names("kinds");
    r.get_names("levels");
    r.get_int("k", 7, 0, 9);
    r.get_choice("answered");
    r.get_double("budget_seconds");
    r.finish();
    return r.echo();
  };
  // read as typed: an integer given for a number is echoed as the number used
  CHECK(echo_of({{"x", 1}, {"answered", "right"}}) ==
        json::parse(R"({"n": 3, "x": 1.0, "kinds": null, "levels": ["p"], "k": 7})"));
  CHECK(echo_of({{"n", 4}, {"kinds", {"c"}}, {"answered", "all"}, {"budget_seconds", 60}}) ==
        json::parse(R"({"n": 4, "x": 0.5, "kinds": ["c"], "levels": ["p"], "k": 7, "answered": "all",
                        "budget_seconds": 60.0})"));
}

TEST_CASE("a bad setting is one error naming it", "[settings]") {
  CHECK_THAT(error_of({{"n", 11}}, [](SettingsReader& r) { r.get_int("n"); }),
             Equals("demo.n: expected an integer in [1, 10], found 11"));
  CHECK_THAT(error_of({{"x", "1"}}, [](SettingsReader& r) { r.get_double("x"); }),
             Equals("demo.x: expected a number in [0.0, 1.0], found \"1\""));
  CHECK_THAT(error_of({{"mode", "c"}}, [](SettingsReader& r) { r.get_choice("mode"); }),
             Equals("demo.mode: expected one of \"a\" \"b\", found \"c\""));
  CHECK_THAT(error_of({{"levels", {"p", "r"}}}, [](SettingsReader& r) { r.get_names("levels"); }),
             Equals("demo.levels: expected a non-empty array of distinct names from \"p\" \"q\", found \"r\""));
  CHECK_THAT(error_of({{"kinds", json::array()}}, [](SettingsReader& r) { r.get_names("kinds"); }),
             Equals("demo.kinds: expected a non-empty array of distinct names, found []"));
  CHECK_THAT(error_of({{"k", 10}}, [](SettingsReader& r) { r.get_int("k", 1, 0, 9); }),
             Equals("demo.k: expected an integer in [0, 9], found 10"));
  CHECK_THAT(error_of({{"nn", 1}}, [](SettingsReader& r) { r.get_int("n"); }), Equals("demo.nn: unknown setting"));
  CHECK_THAT(error_of(json::array(), [](SettingsReader&) {}),
             Equals("demo: expected an object of settings, found array"));
}

TEST_CASE("a read the table does not declare is a programming error", "[settings]") {
  const json none = json::object();
  SettingsReader r(none, "demo", table());
  CHECK_THROWS_AS(r.get_int("missing"), std::logic_error);
  CHECK_THROWS_AS(r.get_double("n"), std::logic_error);  // declared an integer
  CHECK_THROWS_AS(r.get_int("k"), std::logic_error);     // its default comes from the model
  CHECK_THROWS_AS(table() + SettingsTable{integer_setting("n", 1, 0, 1, "again")}, std::logic_error);
}

TEST_CASE("every analysis lists its table: each row typed, documented, its default in range", "[settings]") {
  for (const AnalysisEntry& e : analysis_table()) {
    INFO(e.name);
    for (const Setting& s : e.settings().rows()) {
      INFO(s.name);
      CHECK(!s.doc.empty());
      if (s.fallback.is_null()) {
        CHECK((s.per_model || s.type == SettingType::Text || s.type == SettingType::Names));
        continue;
      }
      if (s.type == SettingType::Integer || s.type == SettingType::Number)
        CHECK((s.fallback.get<double>() >= s.min && s.fallback.get<double>() <= s.max));
      if (s.type == SettingType::Choice)
        CHECK(std::count(s.choices.begin(), s.choices.end(), s.fallback.get<std::string>()) == 1);
    }
  }
}
