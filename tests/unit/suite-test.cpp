// suite.json: a valid suite parses; each malformed field is named with its item.
#include <catch2/catch.hpp>

#include <set>

#include "io/suite.h"

using namespace strata;

namespace {

nlohmann::json valid_suite() {
  return nlohmann::json::parse(R"({
    "format": "strata-suite", "version": 1, "model": "tiny", "seed": 7,
    "kinds": {"compare": {"family": "reasoning", "optional": true, "chance": 0.5}},
    "items": [
      {"id": "r1", "kind": "city", "family": "recall", "split": "trained", "prompt": "a b c", "answer": "x",
       "corrupt_prompt": "a b d", "corrupt_answer": "y", "meta": {"entity": "a b"}},
      {"id": "c1", "kind": "compare", "family": "reasoning", "split": "heldout", "prompt": "p q r", "answer": "s",
       "corrupt_prompt": "p r q", "corrupt_answer": "t"}
    ]})");
}

void refuse(const nlohmann::json& suite, const std::string& message) {
  CHECK_THROWS_WITH(parse_suite(suite.dump(), "suite.json"), Catch::Contains(message));
}

}  // namespace

TEST_CASE("a valid suite parses with its kinds", "[suite]") {
  const Suite s = parse_suite(valid_suite().dump(), "suite.json");
  CHECK(s.model == "tiny");
  CHECK(s.seed == 7);
  REQUIRE(s.items.size() == 2);
  CHECK(s.items[0].meta["entity"] == "a b");
  CHECK(s.items[1].split == "heldout");
  CHECK(s.kinds.at("city").family == "recall");
  CHECK_FALSE(s.kinds.at("city").optional);
  CHECK(s.kinds.at("compare").optional);
  CHECK(s.kinds.at("compare").chance == 0.5);
  CHECK(s.kinds.at("city").chance == 0);  // not stated: the analyses count distinct answers
}

TEST_CASE("a kind's chance is a number in (0, 1]", "[suite]") {
  for (const double bad : {0.0, -0.5, 1.5}) {
    nlohmann::json suite = valid_suite();
    suite["kinds"]["compare"]["chance"] = bad;
    refuse(suite, "kinds: \"compare\": chance: expected a number in (0, 1]");
  }
  nlohmann::json text = valid_suite();
  text["kinds"]["compare"]["chance"] = "half";
  refuse(text, "chance");
}

TEST_CASE("a conflict item names the answer the model memorised", "[suite]") {
  nlohmann::json suite = valid_suite();
  suite["items"].push_back({{"id", "x1"}, {"kind", "conflict"}, {"family", "conflict"}, {"split", "trained"},
                            {"prompt", "a b c"}, {"answer", "x"}, {"corrupt_prompt", "a b y"},
                            {"corrupt_answer", "y"}, {"meta", {{"memory_answer", "y"}}}});
  const Suite s = parse_suite(suite.dump(), "suite.json");
  CHECK(s.kinds.at("conflict").family == "conflict");
  CHECK(s.items[2].memory_answer == "y");
  CHECK(s.items[0].memory_answer.empty());

  suite["items"][2]["meta"].erase("memory_answer");
  refuse(suite, "items[2] (\"x1\"): meta: a conflict item needs \"memory_answer\"");
  suite["items"][2]["meta"]["memory_answer"] = "x";
  refuse(suite, "items[2] (\"x1\"): meta: memory_answer: expected a non-empty answer other than the stated one, found \"x\"");
  suite["items"][2]["meta"]["memory_answer"] = 4;
  refuse(suite, "items[2] (\"x1\"): meta: memory_answer: expected a string");
}

TEST_CASE("malformed suites name the item and the field", "[suite]") {
  auto with = [](auto edit) {
    nlohmann::json s = valid_suite();
    edit(s);
    return s;
  };
  refuse(with([](auto& s) { s["format"] = "other"; }), "suite.json: format: expected \"strata-suite\"");
  refuse(with([](auto& s) { s["version"] = 2; }), "suite.json: version");
  refuse(with([](auto& s) { s.erase("items"); }), "items: expected an array");
  refuse(with([](auto& s) { s["items"][1].erase("answer"); }), "items[1] (\"c1\"): missing field \"answer\"");
  refuse(with([](auto& s) { s["items"][0]["prompt"] = 3; }), "items[0] (\"r1\"): prompt: expected a string, found");
  refuse(with([](auto& s) { s["items"][0]["prompt"] = ""; }), "prompt: expected a non-empty string");
  refuse(with([](auto& s) { s["items"][0]["family"] = "memory"; }), "family: expected conflict | mixed | reasoning | recall, found \"memory\"");
  refuse(with([](auto& s) { s["items"][0]["split"] = "test"; }), "split: expected heldout | trained, found \"test\"");
  refuse(with([](auto& s) { s["items"][1]["id"] = "r1"; }), "items[1]: duplicate id \"r1\"");
  refuse(with([](auto& s) { s["items"][1]["family"] = "recall"; }), "family: expected \"reasoning\" like the rest of kind \"compare\"");
  refuse(with([](auto& s) { s["items"][0]["meta"] = "x"; }), "meta: expected an object");
  refuse(with([](auto& s) { s["items"][0]["prompt"] = std::string(5000, 'a'); }), "prompt: expected at most 4096 bytes");
  refuse(with([](auto& s) { s["kinds"]["compare"]["family"] = 1; }), "kinds: \"compare\": family: expected a string");
  CHECK_THROWS_WITH(parse_suite("{\"format\": \"strata-suite\", \"format\": \"x\"}", "suite.json"), Catch::Contains("duplicate key"));
  CHECK_THROWS_WITH(parse_suite("[1, 2", "suite.json"), Catch::Contains("suite.json"));
}

TEST_CASE("the items a model answers wrong are marked by id, bound to its weights", "[suite]") {
  nlohmann::json s = valid_suite();
  const std::string sha(64, 'f');
  s["answered_wrong"] = {{"weights_sha256", sha}, {"items", {"c1"}}};
  const Suite suite = parse_suite(s.dump(), "suite.json");
  CHECK(suite.answered_wrong.weights_sha256 == sha);
  CHECK(suite.answered_wrong.ids == std::set<std::string>{"c1"});
  CHECK(parse_suite(valid_suite().dump(), "suite.json").answered_wrong.weights_sha256.empty());

  auto marked = [&](auto edit) {
    nlohmann::json m = s;
    edit(m["answered_wrong"]);
    return m;
  };
  refuse(marked([](auto& w) { w["items"] = {"zz"}; }), "suite.json: answered_wrong: items[0]: no item has the id \"zz\"");
  refuse(marked([](auto& w) { w["items"] = {"c1", "c1"}; }), "answered_wrong: items[1]: \"c1\" is listed twice");
  refuse(marked([](auto& w) { w["items"] = {1}; }), "answered_wrong: items[0]: expected an item id");
  refuse(marked([](auto& w) { w["weights_sha256"] = "ABC"; }), "answered_wrong: weights_sha256: expected 64 lowercase hex digits");
  refuse(marked([](auto& w) { w.erase("items"); }), "answered_wrong: items: expected an array of item ids");
  refuse(marked([](auto& w) { w["by"] = "me"; }), "answered_wrong: unknown field \"by\"");
  refuse(marked([](auto& w) { w = 3; }), "answered_wrong: expected an object");
}
