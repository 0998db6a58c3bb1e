// Natural-language suites (src/bank): the bank's reader, and the builder's
// filters and matching rule on a hand-made byte-level BPE tokenizer in which
// " x" is one token for every letter x and every other byte is a token of its
// own, so a text's token length is easy to count by hand.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "bank/suite-builder.h"
#include "base/error.h"
#include "io/files.h"
#include "io/suite.h"
#include "io/tokenizer-bpe.h"
#include "io/tokenizer.h"
#include "io/unicode.h"

using namespace strata;
using nlohmann::json;

namespace {

Tokenizer letters_bpe() {
  json vocab = json::object(), merges = json::array();
  int32_t next = 0;
  auto symbol = [](int byte) {
    std::string s;
    unicode::append_utf8(s, tokenizer_detail::byte_to_code_point()[byte]);
    return s;
  };
  for (int b = 0; b < 256; ++b) vocab[symbol(b)] = next++;
  for (char c = 'a'; c <= 'z'; ++c) {
    vocab[symbol(' ') + c] = next++;
    merges.push_back(symbol(' ') + " " + c);
  }
  const json file = {
      {"version", "1.0"}, {"added_tokens", json::array()}, {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                 {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocab},
                 {"merges", merges}}}};
  return Tokenizer::from_json(file.dump(), "letters.json");
}

// Token lengths under letters_bpe: one per letter, one per other byte but a
// space before a letter. "c ab i": c, " a", b, " i" = 4; a lead-in "k " or
// "m " adds one.
json small_bank() {
  return json::parse(R"({"format": "strata-nl-bank", "version": 1, "lead_ins": ["", "k ", "m "],
    "kinds": {"cap": {"family": "recall", "template": "c {subject} i"},
              "rea": {"family": "reasoning", "chance": 0.5}},
    "facts": [{"kind": "cap", "subject": "ab", "answer": " p"},
              {"kind": "cap", "subject": "cd", "answer": " q"},
              {"kind": "cap", "subject": "ef", "answer": " r"},
              {"kind": "cap", "subject": "lm", "answer": " p"},
              {"kind": "cap", "subject": "ghi", "answer": " s"},
              {"kind": "cap", "subject": "jk", "answer": " tu"}],
    "items": [{"kind": "rea", "prompt": "x y z", "answer": " p", "corrupt_prompt": "x y w", "corrupt_answer": " q"},
              {"kind": "rea", "prompt": "x y z w", "answer": " p", "corrupt_prompt": "w y z x", "corrupt_answer": " q"},
              {"kind": "rea", "prompt": "y x z w", "answer": " r", "corrupt_prompt": "w x z y", "corrupt_answer": " s"},
              {"kind": "rea", "prompt": "z y x w", "answer": " s", "corrupt_prompt": "z w x y", "corrupt_answer": " t"},
              {"kind": "rea", "prompt": "w y x z", "answer": " s", "corrupt_prompt": "w y x", "corrupt_answer": " t"},
              {"kind": "rea", "prompt": "w x y z", "answer": " s", "corrupt_prompt": "w x y q", "corrupt_answer": " tt"},
              {"kind": "rea", "prompt": "q r s", "answer": " uv", "corrupt_prompt": "q r t", "corrupt_answer": " u"},
              {"kind": "rea", "prompt": "y z x w", "answer": " q", "corrupt_prompt": "w z x y", "corrupt_answer": " r"}]})");
}

json build(const json& bank_json, uint64_t seed) {
  static const Tokenizer tokenizer = letters_bpe();
  const Bank bank = parse_bank(bank_json.dump(), "bank.json");
  return build_nl_suite({bank, "0", tokenizer, "letters.json", "0"}, seed);
}

int dropped(const json& suite, const std::string& kind, const std::string& reason) {
  return suite["build"]["dropped"][kind].value(reason, 0);
}

}  // namespace

TEST_CASE("the filters drop what cannot be matched, counted by reason and kind", "[nl-suite]") {
  const json suite = build(small_bank(), 0);
  const json expected = json::parse(R"({
    "cap": {"answer_not_one_token": 3, "no_corruption": 3, "other_length": 8},
    "rea": {"answer_not_one_token": 3, "corrupt_answer_not_one_token": 3, "corrupt_length_differs": 3,
            "other_length": 9, "duplicate": 1, "unmatched": 1}})");
  CHECK(suite["build"]["dropped"] == expected);
  CHECK(suite["build"]["kept"] == json::parse(R"({"cap": 4, "rea": 4})"));
  // Every candidate is kept or dropped once: 6 facts and 8 items under 3 lead-ins.
  int total = 0;
  for (const auto& [kind, n] : suite["build"]["kept"].items()) total += n.get<int>();
  for (const auto& [kind, reasons] : suite["build"]["dropped"].items())
    for (const auto& [reason, n] : reasons.items()) total += n.get<int>();
  CHECK(total == (6 + 8) * 3);
}

TEST_CASE("one token length, the most kinds and pairs, the shortest on a tie", "[nl-suite]") {
  static const Tokenizer tokenizer = letters_bpe();
  for (uint64_t seed : {0, 1, 2, 3, 4, 5, 6, 7}) {
    const json built = build(small_bank(), seed);
    // Length 3: one reasoning item; 4: four facts, five items; 5: four facts, four items.
    CHECK(built["build"]["lengths"] == json::parse(R"({"3": {"kinds": 1, "recall": 0, "reasoning": 1},
                                                         "4": {"kinds": 2, "recall": 4, "reasoning": 5},
                                                         "5": {"kinds": 2, "recall": 4, "reasoning": 4}})"));
    CHECK(built["prompt_tokens"] == 4);
    const Suite suite = parse_suite(built.dump(), "suite.json");
    REQUIRE(suite.items.size() == 8);
    std::map<std::string, int> family;
    std::set<std::string> sources;
    for (const SuiteItem& item : suite.items) {
      const std::vector<int32_t> ids = tokenizer.encode(item.prompt);
      CHECK(ids.size() == 4);
      CHECK(tokenizer.encode(item.corrupt_prompt).size() == 4);
      CHECK(tokenizer.encode(item.answer).size() == 1);
      CHECK(tokenizer.encode(item.corrupt_answer).size() == 1);
      CHECK(item.answer != item.corrupt_answer);
      ++family[item.family];
      CHECK(item.split == (item.family == "recall" ? "trained" : "heldout"));
      // Each fact and each item once: the subject, or the prompt without its lead-in.
      const std::string lead_in = small_bank()["lead_ins"][item.meta["lead_in"].get<size_t>()];
      CHECK(sources.insert(item.family == "recall" ? item.meta["subject"].get<std::string>()
                                                   : item.prompt.substr(lead_in.size())).second);
      if (item.family == "recall") {
        std::vector<int32_t> subject_ids;
        for (const json& p : item.meta["subject_positions"]) subject_ids.push_back(ids.at(p.get<size_t>()));
        CHECK(tokenizer.decode(subject_ids) == " " + item.meta["subject"].get<std::string>());
      }
    }
    CHECK(family == std::map<std::string, int>{{"reasoning", 4}, {"recall", 4}});
    CHECK(suite.kinds.at("rea").chance == 0.5);
  }
}

TEST_CASE("the same seed builds the same suite", "[nl-suite]") {
  CHECK(build(small_bank(), 3).dump() == build(small_bank(), 3).dump());
  bool differs = false;
  for (uint64_t seed = 1; seed < 8; ++seed) differs = differs || build(small_bank(), seed)["items"] != build(small_bank(), 0)["items"];
  CHECK(differs);
}

TEST_CASE("a tokenizer that is not byte-level BPE is refused in one line", "[nl-suite]") {
  const Tokenizer word_level = Tokenizer::from_json(R"({"model": {"type": "WordLevel", "unk_token": "[UNK]",
      "vocab": {"[UNK]": 0, "a": 1}}, "pre_tokenizer": {"type": "Whitespace"}})", "words.json");
  const Bank bank = parse_bank(small_bank().dump(), "bank.json");
  CHECK_THROWS_WITH(build_nl_suite({bank, "0", word_level, "words.json", "0"}, 0),
                    "words.json: not a byte-level BPE tokenizer (natural-language suites are built for GPT-2 or "
                    "Qwen2 style tokenizers)");
}

TEST_CASE("a malformed bank is refused, naming the field", "[nl-suite]") {
  auto refuse = [](json bank, const std::string& message) {
    CHECK_THROWS_WITH(parse_bank(bank.dump(), "bank.json"), Catch::Contains(message));
  };
  json b = small_bank();
  b["format"] = "strata-suite";
  refuse(b, "bank.json: format: expected \"strata-nl-bank\"");
  b = small_bank(), b["kinds"]["cap"]["template"] = "no subject";
  refuse(b, "bank.json: kinds: \"cap\": template: expected a string holding {subject} once");
  b = small_bank(), b["kinds"]["cap"]["family"] = "mixed";
  refuse(b, "bank.json: kinds: \"cap\": family: expected recall | reasoning");
  b = small_bank(), b["facts"][0]["kind"] = "rea";
  refuse(b, "bank.json: facts[0]: kind \"rea\": expected a recall kind");
  b = small_bank(), b["facts"][1]["subject"] = "ab";
  refuse(b, "bank.json: facts[1]: subject \"ab\" appears twice");
  b = small_bank(), b["items"][0]["corrupt_answer"] = " p";
  refuse(b, "bank.json: items[0]: corrupt_answer: expected an answer other than \" p\"");
  b = small_bank(), b["items"][0].erase("corrupt_prompt");
  refuse(b, "bank.json: items[0]: missing field \"corrupt_prompt\"");
  b = small_bank(), b["items"][1]["prompt"] = "x y z";
  refuse(b, "bank.json: items[1]: prompt appears twice");
  b = small_bank(), b["lead_ins"][1] = "k";
  refuse(b, "bank.json: lead_ins[1]: expected \"\" or text ending in a space");
  b = small_bank(), b["lead_ins"] = json::array();
  refuse(b, "bank.json: lead_ins: expected at least one lead-in");
}

TEST_CASE("the shipped bank holds at least 200 facts and 200 items of each reasoning kind", "[nl-suite]") {
  const Bank bank = parse_bank(read_file_text(std::string(STRATA_SOURCE_DIR) + "/models/nl-bank/bank.json"), "bank.json");
  std::map<std::string, int> count;
  for (const BankItem& item : bank.items) ++count[item.kind];
  CHECK(bank.facts.size() >= 200);
  for (const auto& [name, kind] : bank.kinds)
    if (kind.family == "reasoning") CHECK(count[name] >= 200);
}
