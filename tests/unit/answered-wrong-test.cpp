// Items a model answers wrong (io/suite.h "answered_wrong"): marking them from
// an evaluation, and every item selection leaving them out and counting them
// (the sweeps' select_items, the observation analyses' suite cases, the study's
// items), on the shipped tiny-gpt2-world2 with marks set by hand.
#include <catch2/catch.hpp>

#include <set>

#include "analysis/shared/evaluate.h"
#include "analysis/observation/observation-runners.h"
#include "analysis/study/study-features.h"
#include "analysis/sweeps/sweep.h"
#include "base/error.h"
#include "shipped.h"

using namespace strata;
using namespace strata::testing;
using nlohmann::json;

namespace {

// How many items of `kind` in `split` the shipped suite holds.
int suite_count(const std::string& kind, const std::string& split) {
  const json suite = shipped_suite_json();
  return static_cast<int>(std::count_if(suite["items"].begin(), suite["items"].end(), [&](const json& item) {
    return item["kind"] == kind && item["split"] == split;
  }));
}

// The first three trained city items and every held-out "compare" item marked wrong.
json marked_suite_json(const std::string& weights_sha256) {
  json suite = shipped_suite_json();
  json ids = json::array();
  int cities = 0;
  for (const json& item : suite["items"]) {
    if (item["kind"] == "city" && item["split"] == "trained" && cities < 3) {
      ids.push_back(item["id"]);
      ++cities;
    }
    if (item["kind"] == "compare" && item["split"] == "heldout") ids.push_back(item["id"]);
  }
  suite["answered_wrong"] = {{"weights_sha256", weights_sha256}, {"items", ids}};
  return suite;
}

}  // namespace

TEST_CASE("the sweeps leave out the items marked wrong, count them, and drop a kind with none right",
          "[answered-wrong]") {
  const Session& session = shipped_session();
  const Suite suite = parse_suite(marked_suite_json(session.model().weights_sha256).dump(), "suite.json");
  const int compares = suite_count("compare", "heldout");
  REQUIRE(compares > 0);
  REQUIRE(suite.answered_wrong.ids.size() == size_t(3 + compares));

  ItemSelection selection;
  selection.items_per_kind = 8;
  const ItemSet items = select_items(session, suite, selection, 1, "ablation");
  std::vector<std::string> kinds;
  for (const KindGroup& k : items.kinds) kinds.push_back(k.name);
  CHECK(kinds == std::vector<std::string>{"city", "job", "lookup"});
  CHECK(items.all_wrong_kinds == std::vector<std::string>{"compare"});
  for (const SweepItem& item : items.items) CHECK_FALSE(suite.answered_wrong.ids.count(item.item->id));
  const json echo = items_json(items);
  CHECK(echo["all_wrong_kinds"] == json::array({"compare"}));
  CHECK(echo["kinds"][0]["kind"] == "city");
  CHECK(echo["kinds"][0]["n"] == 8);
  CHECK(echo["kinds"][0]["answered_wrong"] == 3);
  CHECK(echo["kinds"][1]["answered_wrong"] == 0);

  selection.kinds = {"compare"};
  CHECK_THROWS_WITH(select_items(session, suite, selection, 1, "ablation"),
                    Catch::Contains("kind \"compare\" has no heldout items the model answers right (" +
                                    std::to_string(compares) + " answered wrong"));
}

TEST_CASE("the observation analyses and the study leave out the items marked wrong", "[answered-wrong]") {
  const Session& session = shipped_session();
  const Suite suite = parse_suite(marked_suite_json(session.model().weights_sha256).dump(), "suite.json");
  const int compares = suite_count("compare", "heldout");

  const json lens = run_logit_lens({session, &suite, 1, {{"split", "heldout"}, {"items_per_kind", 2}}, {}});
  CHECK(lens["answered_wrong"]["compare"] == compares);
  CHECK(lens["answered_wrong"]["city"] == 0);
  CHECK_FALSE(lens["by_kind"].contains("compare"));
  CHECK(lens["by_kind"]["lookup"]["n"] == 2);

  ItemSelection every;
  every.items_per_kind = 0;
  const StudyItems study = select_study_items(session, suite, every, 1, "study");
  for (const SuiteItem* item : study.items) CHECK_FALSE(suite.answered_wrong.ids.count(item->id));
  const json described = describe_items(study, every);
  CHECK(described["answered_wrong"]["city"] == 3);
  CHECK(described["answered_wrong"]["compare"] == compares);
  CHECK(described["by_kind"]["city"] == suite_count("city", "trained") - 3);
  CHECK_FALSE(described["by_kind"].contains("compare"));
}

TEST_CASE("marks made for another model are refused, naming both", "[answered-wrong]") {
  const Session& session = shipped_session();
  const Suite suite = parse_suite(marked_suite_json(std::string(64, 'a')).dump(), "suite.json");
  CHECK_THROWS_WITH(select_items(session, suite, ItemSelection{}, 1, "ablation"),
                    Catch::Contains("suite.json: answered_wrong: the items were marked for the model whose weights' "
                                    "SHA-256 is aaaaaaaaaaaa…, not the loaded one (" +
                                    session.model().weights_sha256.substr(0, 12)));
  const json lens_settings = {{"items_per_kind", 1}};
  CHECK_THROWS_AS(run_logit_lens({session, &suite, 1, lens_settings, {}}), Error);
}

TEST_CASE("marking lists exactly the items the evaluation found wrong, bound to the weights", "[answered-wrong]") {
  const Session& session = shipped_session();
  json suite_json = shipped_suite_json();
  json some = json::array();
  // A few items of every kind: the model gets some wrong (most conflict items it answers from memory).
  for (const json& item : suite_json["items"])
    if (std::count_if(some.begin(), some.end(), [&](const json& s) { return s["kind"] == item["kind"]; }) < 12)
      some.push_back(item);
  suite_json["items"] = some;
  const Suite suite = parse_suite(suite_json.dump(), "suite.json");
  const Evaluation eval = evaluate_suite(session, suite, kShippedId);
  const json marked = mark_answered_wrong(suite_json, eval, session);

  std::set<std::string> expected;
  for (const ItemResult& r : eval.items)
    if (!r.correct) expected.insert(r.id);
  REQUIRE_FALSE(expected.empty());
  CHECK(marked["answered_wrong"]["weights_sha256"] == session.model().weights_sha256);
  CHECK(marked["answered_wrong"]["items"].get<std::set<std::string>>() == expected);
  CHECK(parse_suite(marked.dump(), "marked.json").answered_wrong.ids == expected);
}

TEST_CASE("\"answered\": \"all\" keeps the items marked wrong, and says so", "[answered-wrong]") {
  const Session& session = shipped_session();
  const Suite suite = parse_suite(marked_suite_json(session.model().weights_sha256).dump(), "suite.json");

  ItemSelection selection;
  selection.items_per_kind = 0;
  selection.keep_answered_wrong = true;
  const ItemSet items = select_items(session, suite, selection, 1, "ablation");
  CHECK(items.all_wrong_kinds.empty());
  CHECK(items.kinds.size() == 4);  // city, compare, job, lookup
  CHECK(items.items.front().item->id == suite.items.front().id);  // the first city item, marked wrong
  const json echo = items_json(items);
  CHECK_FALSE(echo["kinds"][0].contains("answered_wrong"));
  CHECK(to_json(selection)["answered"] == "all");

  const json lens =
      run_logit_lens({session, &suite, 1, {{"split", "heldout"}, {"items_per_kind", 2}, {"answered", "all"}}, {}});
  CHECK_FALSE(lens.contains("answered_wrong"));
  CHECK(lens["by_kind"]["compare"]["n"] == 2);
  CHECK_THROWS_WITH(run_logit_lens({session, &suite, 1, {{"item", "city-trained-000"}, {"answered", "all"}}, {}}),
                    Catch::Contains("logit-lens.answered: applies to the suite, not to one prompt or item"));
  CHECK_THROWS_WITH(run_logit_lens({session, &suite, 1, {{"answered", "some"}}, {}}),
                    Catch::Contains("logit-lens.answered: expected one of \"all\" \"right\", found \"some\""));

  ItemSelection all;
  all.items_per_kind = 0;
  all.keep_answered_wrong = true;
  const StudyItems study = select_study_items(session, suite, all, 1, "study");
  const json described = describe_items(study, all);
  CHECK(described["by_kind"]["compare"] == suite_count("compare", "heldout"));
  CHECK(described["answered"] == "all");
  CHECK_FALSE(described.contains("answered_wrong"));

  // Another model's marks do not matter when every item is kept.
  const Suite other = parse_suite(marked_suite_json(std::string(64, 'a')).dump(), "suite.json");
  CHECK_NOTHROW(select_items(session, other, selection, 1, "ablation"));
}
