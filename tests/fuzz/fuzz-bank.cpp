// Fuzz target: the natural-language bank's reader, and a suite built from
// what it accepts for a small byte-level BPE tokenizer (every byte a token,
// " x" one token for every letter x).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "bank/suite-builder.h"
#include "base/error.h"
#include "io/tokenizer-bpe.h"
#include "io/tokenizer.h"
#include "io/unicode.h"

namespace {

const strata::Tokenizer& letters_bpe() {
  static const strata::Tokenizer tokenizer = [] {
    nlohmann::json vocab = nlohmann::json::object(), merges = nlohmann::json::array();
    int32_t next = 0;
    auto symbol = [](int byte) {
      std::string s;
      strata::unicode::append_utf8(s, strata::tokenizer_detail::byte_to_code_point()[byte]);
      return s;
    };
    for (int b = 0; b < 256; ++b) vocab[symbol(b)] = next++;
    for (char c = 'a'; c <= 'z'; ++c) {
      vocab[symbol(' ') + c] = next++;
      merges.push_back(symbol(' ') + " " + c);
    }
    const nlohmann::json file = {
        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
        {"decoder", {{"type", "ByteLevel"}}},
        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
    return strata::Tokenizer::from_json(file.dump(), "letters.json");
  }();
  return tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const strata::Bank bank = strata::parse_bank(std::string(reinterpret_cast<const char*>(data), size), "bank.json");
    strata::build_nl_suite({bank, "", letters_bpe(), "letters.json", ""}, 0);
  } catch (const strata::Error&) {
  }
  return 0;
}
