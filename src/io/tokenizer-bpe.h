// Byte-pair encoding for the tokenizer: the merge table of a BPE model
// (pair of token ids -> rank and merged id), merging one pre-tokenized word,
// and GPT-2's reversible map from bytes to printable code points.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::tokenizer_detail {

struct BpeMerges {
  struct Entry {
    int32_t rank;
    int32_t merged;
  };
  std::unordered_map<uint64_t, Entry> by_pair;  // key: left id << 32 | right id

  const Entry* find(int32_t left, int32_t right) const;
};

// Reads model.merges ("a b" strings or ["a", "b"] pairs, rank = position);
// every token and every concatenation must be in `vocab`.
BpeMerges read_bpe_merges(const nlohmann::json& merges, const std::unordered_map<std::string, int32_t>& vocab,
                          const std::string& where);

// Applies the merges to a word's initial symbols, lowest rank first and
// leftmost first among equal ranks (the order of Hugging Face tokenizers and of
// GPT-2's reference encoder).
std::vector<int32_t> bpe_merge(std::vector<int32_t> symbols, const BpeMerges& merges);

// GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to
// U+0100 onwards, so every byte becomes one visible code point.
const std::array<char32_t, 256>& byte_to_code_point();
// The inverse: the byte of a code point, or -1 when it is not in the map.
int code_point_to_byte(char32_t c);

}  // namespace strata::tokenizer_detail
