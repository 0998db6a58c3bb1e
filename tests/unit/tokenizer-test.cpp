// tokenizer.json: WordLevel and byte-level BPE models built by hand, added
// tokens, the pre-tokenizer patterns, malformed files refused with a message
// naming the field, and byte-level round trips.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/tokenizer-bpe.h"
#include "io/tokenizer.h"
#include "io/unicode.h"
#include "model/session.h"
#include "tiny-model.h"

using namespace strata;
using nlohmann::json;
using Ids = std::vector<int32_t>;

namespace {

json word_level() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
    "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
    "model": {"type": "WordLevel", "unk_token": "[UNK]",
              "vocab": {"[UNK]": 0, "the": 1, "cat": 2, "sat": 3, ".": 4, "on": 5, "mat": 6}}})");
}

// h e l o Ġ, and merges building "hello" and "Ġhello".
json tiny_bpe() {
  return json::parse(R"({
    "version": "1.0", "added_tokens": [], "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "",
              "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false,
              "vocab": {"h": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "he": 5, "ll": 6, "hell": 7, "hello": 8,
                        "Ġhello": 9},
              "merges": ["h e", "l l", "he ll", "hell o", "Ġ hello"]}})");
}

json with_pair_merges(json file) {
  json pairs = json::array();
  for (const json& merge : file["model"]["merges"]) {
    const std::string text = merge.get<std::string>();
    const size_t space = text.find(' ');
    pairs.push_back({text.substr(0, space), text.substr(space + 1)});
  }
  file["model"]["merges"] = pairs;
  return file;
}

// Every byte's symbol, plus merges for a few common English pieces.
json full_byte_bpe() {
  json file = tiny_bpe();
  json vocab = json::object();
  json merges = json::array();
  int32_t next = 0;
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    unicode::append_utf8(symbol, tokenizer_detail::byte_to_code_point()[b]);
    vocab[symbol] = next++;
  }
  for (const char* merge : {"Ġ t", "h e", "Ġt he", "Ġ a", "i n", "Ġ c", "a t", "Ġc at"}) {
    const std::string text = merge;
    const size_t space = text.find(' ');
    vocab[text.substr(0, space) + text.substr(space + 1)] = next++;
    merges.push_back(text);
  }
  file["model"]["vocab"] = vocab;
  file["model"]["merges"] = merges;
  return file;
}

Tokenizer load(const json& file) { return Tokenizer::from_json(file.dump(), "tokenizer.json"); }

void refuse(const json& file, const std::string& message) {
  CHECK_THROWS_WITH(load(file), Catch::Contains(message));
}

std::vector<std::string> pieces(unicode::Pattern pattern, const std::string& text) {
  const unicode::DecodedText decoded = unicode::decode_utf8(text, "text");
  std::vector<std::string> out;
  for (const unicode::Span& span : unicode::find_matches(pattern, decoded.code_points))
    out.push_back(text.substr(decoded.offsets[span.begin], decoded.offsets[span.end] - decoded.offsets[span.begin]));
  return out;
}

using Pieces = std::vector<std::string>;

}  // namespace

TEST_CASE("WordLevel maps words to ids and unknown words to unk", "[tokenizer]") {
  const Tokenizer t = load(word_level());
  CHECK(t.encode("the cat sat on the mat.") == Ids{1, 2, 3, 5, 1, 6, 4});
  CHECK(t.encode("the dog sat") == Ids{1, 0, 3});
  CHECK(t.encode("  the\tcat \n") == Ids{1, 2});
  CHECK(t.encode("").empty());
  CHECK(t.decode({1, 2, 3}) == "the cat sat");
  CHECK(t.token(2) == "cat");
  CHECK(t.token_to_id("mat") == 6);
  CHECK_FALSE(t.token_to_id("dog").has_value());
  CHECK(t.vocab_size() == 7);
  CHECK_THROWS_WITH(t.token(7), Catch::Contains("token id"));
  CHECK_THROWS_WITH(t.token(-1), Catch::Contains("token id"));
}

TEST_CASE("WhitespaceSplit keeps punctuation attached", "[tokenizer]") {
  json file = word_level();
  file["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  const Tokenizer t = load(file);
  CHECK(t.encode("the cat.") == Ids{1, 0});
  CHECK(t.encode(" the  cat ") == Ids{1, 2});
}

TEST_CASE("WordLevel needs an unk_token that is in its vocabulary", "[tokenizer]") {
  json missing = word_level();
  missing["model"].erase("unk_token");
  refuse(missing, "tokenizer.json: model.unk_token: missing");
  json absent = word_level();
  absent["model"]["unk_token"] = "<unk>";
  CHECK_THROWS_WITH(load(absent), "tokenizer.json: model.unk_token: \"<unk>\" is not in model.vocab");
}

TEST_CASE("BPE merges by rank, in both merge forms", "[tokenizer]") {
  const Tokenizer strings = load(tiny_bpe());
  const Tokenizer pairs = load(with_pair_merges(tiny_bpe()));
  for (const std::string text : {"hello hello", "hell", "oh", "hole", "hellohello", " hello", "lll"}) {
    INFO(text);
    CHECK(strings.encode(text) == pairs.encode(text));
  }
  CHECK(strings.encode("hello hello") == Ids{8, 9});
  CHECK(strings.encode("hell") == Ids{7});
  CHECK(strings.encode("hole") == Ids{0, 3, 2, 1});
  CHECK(strings.encode("lll") == Ids{6, 2});  // leftmost first among equal ranks
  CHECK(strings.encode("hex") == Ids{5});     // no unk_token: a symbol outside the vocabulary is dropped
  CHECK(strings.decode({8, 9}) == "hello hello");
}

TEST_CASE("BPE applies the lowest-ranked merge first", "[tokenizer]") {
  json file = tiny_bpe();
  file["model"]["vocab"]["el"] = 10;
  file["model"]["merges"] = {"l l", "e l"};
  CHECK(load(file).encode("ell") == Ids{1, 6});
  file["model"]["merges"] = {"e l", "l l"};
  CHECK(load(file).encode("ell") == Ids{10, 2});
}

TEST_CASE("BPE with an unk_token replaces unknown symbols", "[tokenizer]") {
  json file = tiny_bpe();
  file["model"]["vocab"]["<unk>"] = 10;
  file["model"]["unk_token"] = "<unk>";
  CHECK(load(file).encode("hexx") == Ids{5, 10, 10});
  file["model"]["fuse_unk"] = true;
  CHECK(load(file).encode("hexx") == Ids{5, 10});
}

TEST_CASE("ByteLevel add_prefix_space adds one space", "[tokenizer]") {
  json file = tiny_bpe();
  file["pre_tokenizer"]["add_prefix_space"] = true;
  const Tokenizer t = load(file);
  CHECK(t.encode("hello") == Ids{9});
  CHECK(t.encode(" hello") == Ids{9});
}

TEST_CASE("added tokens are split out first, longest match first", "[tokenizer]") {
  json file = tiny_bpe();
  file["added_tokens"] = json::parse(R"([
    {"id": 20, "content": "<|end|>", "special": true, "normalized": false, "single_word": false,
     "lstrip": false, "rstrip": false},
    {"id": 21, "content": "<|endoftext|>", "special": true, "normalized": false, "single_word": false,
     "lstrip": false, "rstrip": false}])");
  const Tokenizer t = load(file);
  CHECK(t.encode("hello<|endoftext|> hello<|end|>") == Ids{8, 21, 9, 20});
  CHECK(t.encode("<|end|><|end|>") == Ids{20, 20});
  CHECK(t.encode("<|end") == Ids{1});  // not an added token; only 'e' is in this vocabulary
  CHECK(t.token_to_id("<|endoftext|>") == 21);
  CHECK(t.token(21) == "<|endoftext|>");
  CHECK(t.vocab_size() == 22);
  CHECK(t.token(15).empty());  // an id below vocab_size that no token uses
  CHECK(t.decode({8, 21, 9}) == "hello<|endoftext|> hello");
}

TEST_CASE("added tokens in a WordLevel model", "[tokenizer]") {
  json file = word_level();
  file["added_tokens"] = {{{"id", 7}, {"content", "[SEP]"}, {"special", true}}};
  const Tokenizer t = load(file);
  CHECK(t.encode("the cat[SEP]sat") == Ids{1, 2, 7, 3});
  CHECK(t.vocab_size() == 8);
}

TEST_CASE("byte-level decode(encode(x)) gives x back", "[tokenizer]") {
  const Tokenizer t = load(full_byte_bpe());
  for (const std::string& text : std::vector<std::string>{
           "the cat sat in the hat", "  two  spaces\n\nand\ttabs ", "caf\xC3\xA9 na\xC3\xAFve",
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 \xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",
        "it's 1234567!", std::string("nul\0byte", 8), "\x7F\x01\x1F"}) {
    INFO(text);
    const Ids ids = t.encode(text);
    CHECK(t.decode(ids) == text);
    for (int32_t id : ids) CHECK((id >= 0 && id < t.vocab_size()));
  }
  const Ids ids = t.encode(" the cat");
  CHECK(ids.size() == 2);
  CHECK(t.token(ids[0]) == "\xC4\xA0the");  // "Ġthe"
}

TEST_CASE("decode replaces a partial character with U+FFFD", "[tokenizer]") {
  const Tokenizer t = load(full_byte_bpe());
  const Ids ids = t.encode("\xC3\xA9");  // two byte tokens
  REQUIRE(ids.size() == 2);
  CHECK(t.decode({ids[0]}) == "\xEF\xBF\xBD");
  CHECK(t.decode({ids[0], ids[0], ids[1]}) == "\xEF\xBF\xBD\xC3\xA9");
}

TEST_CASE("invalid UTF-8 input is an error naming the text and the byte offset, not the file", "[tokenizer]") {
  const Tokenizer t = load(full_byte_bpe());
  CHECK_THROWS_WITH(t.encode("abc\xFF"), "text: invalid UTF-8 at byte 3");
  CHECK_THROWS_WITH(t.encode("abc\xFF", "prompt"), "prompt: invalid UTF-8 at byte 3");
  CHECK_THROWS_WITH(load(word_level()).encode("the \xFF", "prompt"), "prompt: invalid UTF-8 at byte 4");
  // Session::tokenize, as the engine in the page calls it, names the text a prompt.
  Model model = testing::tiny_model(Family::Gpt2);
  model.tokenizer = load(word_level());
  CHECK_THROWS_WITH(Session(std::move(model)).tokenize("the \xFF"), "prompt: invalid UTF-8 at byte 4");
  CHECK_THROWS_WITH(t.encode("a\xC3"), Catch::Contains("invalid UTF-8 at byte 1"));
  CHECK_THROWS_WITH(t.encode("\xED\xA0\x80"), Catch::Contains("at byte 0"));   // a surrogate
  CHECK_THROWS_WITH(t.encode("\xC0\xAF"), Catch::Contains("at byte 0"));       // overlong
  CHECK_THROWS_WITH(t.encode("\xF4\x90\x80\x80"), Catch::Contains("at byte 0"));  // past U+10FFFF
}

TEST_CASE("the GPT-2 pattern splits as the reference regex", "[tokenizer][unicode]") {
  using unicode::Pattern;
  CHECK(pieces(Pattern::gpt2, "Hello world") == Pieces{"Hello", " world"});
  CHECK(pieces(Pattern::gpt2, "a   b") == Pieces{"a", "  ", " b"});
  CHECK(pieces(Pattern::gpt2, "a \t b") == Pieces{"a", " \t", " b"});
  CHECK(pieces(Pattern::gpt2, "end  ") == Pieces{"end", "  "});
  CHECK(pieces(Pattern::gpt2, "it's they'll 'x") == Pieces{"it", "'s", " they", "'ll", " '", "x"});
  CHECK(pieces(Pattern::gpt2, "IT'S") == Pieces{"IT", "'", "S"});
  CHECK(pieces(Pattern::gpt2, "x1234 !?") == Pieces{"x", "1234", " !?"});
  CHECK(pieces(Pattern::gpt2, "\n\nA") == Pieces{"\n", "\n", "A"});
  CHECK(pieces(Pattern::gpt2, "caf\xC3\xA9!") == Pieces{"caf\xC3\xA9", "!"});
}

TEST_CASE("the Qwen2 and Llama-3 patterns split as their regexes", "[tokenizer][unicode]") {
  using unicode::Pattern;
  CHECK(pieces(Pattern::qwen2, "Hello world") == Pieces{"Hello", " world"});
  CHECK(pieces(Pattern::qwen2, "(hello) 12345") == Pieces{"(hello", ")", " ", "1", "2", "3", "4", "5"});
  CHECK(pieces(Pattern::qwen2, "IT'S it'Ll") == Pieces{"IT", "'S", " it", "'Ll"});
  CHECK(pieces(Pattern::qwen2, "a\n\n b") == Pieces{"a", "\n\n", " b"});
  CHECK(pieces(Pattern::qwen2, "x!!\n\ny") == Pieces{"x", "!!\n\n", "y"});
  CHECK(pieces(Pattern::qwen2, "a \n  \tb") == Pieces{"a", " \n", "  ", "\tb"});
  CHECK(pieces(Pattern::qwen2, "\thello") == Pieces{"\thello"});
  CHECK(pieces(Pattern::llama3, "12345 6") == Pieces{"123", "45", " ", "6"});
}

TEST_CASE("the Whitespace pattern keeps words and punctuation runs", "[tokenizer][unicode]") {
  CHECK(pieces(unicode::Pattern::whitespace, "Hello, world!! a_b") == Pieces{"Hello", ",", "world", "!!", "a_b"});
}

TEST_CASE("code-point classes", "[unicode]") {
  CHECK(unicode::is_letter(U'\u00E9'));
  CHECK(unicode::is_letter(U'\u65E5'));
  CHECK_FALSE(unicode::is_letter(U'1'));
  CHECK(unicode::is_number(U'\u0663'));  // Arabic-Indic three
  CHECK(unicode::is_number(U'\u00BD'));  // one half (No)
  CHECK(unicode::is_whitespace(U'\u3000'));
  CHECK(unicode::is_whitespace(U'\u0085'));
  CHECK_FALSE(unicode::is_whitespace(U'\uFEFF'));
  CHECK_FALSE(unicode::is_whitespace(U'\u200B'));
  CHECK(unicode::is_word(U'\u0301'));  // a combining mark
  CHECK_FALSE(unicode::is_letter(U'\U0001F600'));
}

TEST_CASE("a Qwen2-style Sequence of Split and ByteLevel", "[tokenizer]") {
  json file = full_byte_bpe();
  file["normalizer"] = {{"type", "NFC"}};
  file["pre_tokenizer"] = json::parse(R"({"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
     "behavior": "Isolated", "invert": false},
    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]})");
  const Tokenizer t = load(file);
  const Ids ids = t.encode(" the cat 42");
  REQUIRE(ids.size() == 5);
  CHECK(t.token(ids[0]) == "\xC4\xA0the");
  CHECK(t.token(ids[1]) == "\xC4\xA0" "cat");
  CHECK(t.token(ids[3]) == "4");
  CHECK(t.decode(ids) == " the cat 42");
}

TEST_CASE("malformed tokenizer files are refused, naming the field", "[tokenizer]") {
  CHECK_THROWS_WITH(Tokenizer::from_json("{", "tok.json"), Catch::Contains("tok.json"));
  CHECK_THROWS_WITH(Tokenizer::from_json("[]", "tok.json"), Catch::Contains("expected a JSON object"));

  json f = word_level();
  f.erase("model");
  refuse(f, "tokenizer.json: model: missing");
  f = word_level(), f["model"]["type"] = "Unigram";
  refuse(f, "model.type: expected WordLevel or BPE, found \"Unigram\"");
  f = word_level(), f["model"].erase("type");
  refuse(f, "model.type: missing");
  f = word_level(), f["normalizer"] = {{"type", "Lowercase"}};
  refuse(f, "normalizer.type: expected null or NFC, found \"Lowercase\"");
  f = word_level(), f["pre_tokenizer"] = {{"type", "Metaspace"}};
  refuse(f, "pre_tokenizer.type: expected Whitespace, WhitespaceSplit, ByteLevel, Split or Sequence, found \"Metaspace\"");
  f = word_level(), f["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Digits"}}}}};
  refuse(f, "pre_tokenizer.pretokenizers[0].type");
  f = word_level(), f["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "\\d+"}}}, {"behavior", "Isolated"}};
  refuse(f, "pre_tokenizer.pattern.Regex: expected the GPT-2, Qwen2 or Llama-3 pattern, found \"\\d+\"");
  f = word_level(), f["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Isolated"}};
  refuse(f, "pre_tokenizer.pattern: expected {\"Regex\"");
  f = word_level(), f["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", unicode::k_gpt2_pattern}}},
                                          {"behavior", "Removed"}};
  refuse(f, "pre_tokenizer.behavior: expected \"Isolated\", found \"Removed\"");
  f = word_level(), f["pre_tokenizer"] = {{"type", "ByteLevel"}};
  refuse(f, "pre_tokenizer.add_prefix_space: missing");
  f = word_level(), f["model"]["vocab"]["dog"] = -1;
  refuse(f, "model.vocab[\"dog\"]: expected an id in [0, 16777215], found -1");
  f = word_level(), f["model"]["vocab"]["dog"] = 1 << 24;
  refuse(f, "model.vocab[\"dog\"]: expected an id in [0, 16777215], found 16777216");
  f = word_level(), f["model"]["vocab"]["dog"] = "7";
  refuse(f, "model.vocab[\"dog\"]: expected an integer id, found \"7\"");
  f = word_level(), f["model"]["vocab"]["dog"] = 7.5;
  refuse(f, "expected an integer id, found 7.5");
  f = word_level(), f["model"]["vocab"] = json::array();
  refuse(f, "model.vocab: expected an object");
  f = word_level(), f["decoder"] = {{"type", "WordPiece"}};
  refuse(f, "decoder.type: expected null or ByteLevel, found \"WordPiece\"");
  f = word_level(), f["post_processor"] = {{"type", "TemplateProcessing"}};
  refuse(f, "post_processor.type: expected null or ByteLevel");
  f = word_level(), f["truncation"] = {{"max_length", 5}};
  refuse(f, "truncation: expected null");
}

TEST_CASE("malformed BPE models and added tokens are refused", "[tokenizer]") {
  json f = tiny_bpe();
  f["model"]["merges"][0] = "h x";
  refuse(f, "model.merges[0]: token \"x\" is not in model.vocab");
  f = tiny_bpe(), f["model"]["merges"][1] = "o o";
  refuse(f, "model.merges[1]: token \"oo\" is not in model.vocab");
  f = tiny_bpe(), f["model"]["merges"][0] = "h e l";
  refuse(f, "model.merges[0]: expected two tokens separated by one space, found \"h e l\"");
  f = tiny_bpe(), f["model"]["merges"][0] = "he";
  refuse(f, "model.merges[0]: expected two tokens");
  f = with_pair_merges(tiny_bpe()), f["model"]["merges"][2] = {"he", "l", "l"};
  refuse(f, "model.merges[2]: expected a string \"a b\" or a pair [\"a\", \"b\"], found an array of 3 elements");
  f = tiny_bpe(), f["model"]["merges"][0] = 5;
  refuse(f, "model.merges[0]: expected a string");
  f = tiny_bpe(), f["model"].erase("merges");
  refuse(f, "model.merges: missing");
  f = tiny_bpe(), f["model"]["dropout"] = 0.1;
  refuse(f, "model.dropout: expected null, found 0.1");
  f = tiny_bpe(), f["model"]["byte_fallback"] = true;
  refuse(f, "model.byte_fallback: true is not supported");
  f = tiny_bpe(), f["model"]["ignore_merges"] = true;
  refuse(f, "model.ignore_merges: true is not supported");
  f = tiny_bpe(), f["model"]["continuing_subword_prefix"] = "##";
  refuse(f, "model.continuing_subword_prefix: expected null or \"\", found \"##\"");
  f = tiny_bpe(), f["model"]["unk_token"] = "<unk>";
  CHECK_THROWS_WITH(load(f), "tokenizer.json: model.unk_token: \"<unk>\" is not in model.vocab");

  f = tiny_bpe(), f["added_tokens"] = {{{"content", "<s>"}}};
  refuse(f, "added_tokens[0].id: missing");
  f = tiny_bpe(), f["added_tokens"] = {{{"id", 30}, {"content", ""}}};
  refuse(f, "added_tokens[0].content: expected a non-empty string");
  f = tiny_bpe(), f["added_tokens"] = {{{"id", -3}, {"content", "<s>"}}};
  refuse(f, "added_tokens[0].id: expected an id in [0, 16777215], found -3");
  f = tiny_bpe(), f["added_tokens"] = {{{"id", 30}, {"content", "<s>"}, {"lstrip", true}}};
  refuse(f, "added_tokens[0].lstrip: true is not supported");
  f = tiny_bpe(), f["added_tokens"] = {{{"id", 30}, {"content", "<s>"}}, {{"id", 31}, {"content", "<s>"}}};
  refuse(f, "added_tokens[1].content: \"<s>\" appears twice");
  f = tiny_bpe(), f["added_tokens"] = json::object();
  refuse(f, "added_tokens: expected an array");
}
