// Byte-pair encoding: reading the merge table of a tokenizer.json BPE model,
// merging one word with a priority queue over adjacent pairs (n log n, so a
// long run of characters without spaces stays cheap), and GPT-2's byte map.
#include "io/tokenizer-bpe.h"

#include <queue>

#include "base/error.h"

namespace strata::tokenizer_detail {

namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// The two tokens of merge `index`, from "a b" or ["a", "b"].
std::pair<std::string, std::string> merge_parts(const nlohmann::json& merge, const std::string& where) {
  if (merge.is_string()) {
    const std::string& text = merge.get_ref<const std::string&>();
    const size_t space = text.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == text.size() ||
        text.find(' ', space + 1) != std::string::npos)
      fail_expected(where, "two tokens separated by one space", "\"" + text + "\"");
    return {text.substr(0, space), text.substr(space + 1)};
  }
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string())
    return {merge[0].get<std::string>(), merge[1].get<std::string>()};
  fail_expected(where, "a string \"a b\" or a pair [\"a\", \"b\"]",
                merge.is_array() ? "an array of " + std::to_string(merge.size()) + " elements" : merge.type_name());
}

int32_t vocab_id(const std::unordered_map<std::string, int32_t>& vocab, const std::string& token,
                 const std::string& where) {
  const auto it = vocab.find(token);
  if (it == vocab.end()) throw Error(where + ": token \"" + token + "\" is not in model.vocab");
  return it->second;
}

}  // namespace

const BpeMerges::Entry* BpeMerges::find(int32_t left, int32_t right) const {
  const auto it = by_pair.find(pair_key(left, right));
  return it == by_pair.end() ? nullptr : &it->second;
}

BpeMerges read_bpe_merges(const nlohmann::json& merges, const std::unordered_map<std::string, int32_t>& vocab,
                          const std::string& where) {
  if (!merges.is_array()) fail_expected(where, "an array", merges.type_name());
  BpeMerges table;
  table.by_pair.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const auto [left, right] = merge_parts(merges[i], at);
    const int32_t left_id = vocab_id(vocab, left, at);
    const int32_t right_id = vocab_id(vocab, right, at);
    const BpeMerges::Entry entry{static_cast<int32_t>(i), vocab_id(vocab, left + right, at)};
    table.by_pair.emplace(pair_key(left_id, right_id), entry);  // a repeated pair keeps its first rank
  }
  return table;
}

std::vector<int32_t> bpe_merge(std::vector<int32_t> symbols, const BpeMerges& merges) {
  const size_t n = symbols.size();
  if (n < 2) return symbols;
  constexpr size_t none = static_cast<size_t>(-1);
  std::vector<size_t> prev(n), next(n);
  std::vector<char> alive(n, 1);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = i == 0 ? none : i - 1;
    next[i] = i + 1 == n ? none : i + 1;
  }
  struct Candidate {
    int32_t rank;
    size_t pos;  // the left symbol
    int32_t left, right, merged;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto offer = [&](size_t pos) {
    if (pos == none || next[pos] == none) return;
    if (const BpeMerges::Entry* e = merges.find(symbols[pos], symbols[next[pos]]))
      queue.push({e->rank, pos, symbols[pos], symbols[next[pos]], e->merged});
  };
  for (size_t i = 0; i + 1 < n; ++i) offer(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    const size_t right = next[c.pos];
    if (!alive[c.pos] || right == none || symbols[c.pos] != c.left || symbols[right] != c.right) continue;  // stale
    symbols[c.pos] = c.merged;
    alive[right] = 0;
    next[c.pos] = next[right];
    if (next[right] != none) prev[next[right]] = c.pos;
    offer(prev[c.pos]);
    offer(c.pos);
  }
  std::vector<int32_t> out;
  for (size_t i = 0; i != none; i = next[i]) out.push_back(symbols[i]);
  return out;
}

const std::array<char32_t, 256>& byte_to_code_point() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t extra = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[b] = printable ? static_cast<char32_t>(b) : extra++;
    }
    return t;
  }();
  return table;
}

int code_point_to_byte(char32_t c) {
  static const std::unordered_map<char32_t, int> inverse = [] {
    std::unordered_map<char32_t, int> m;
    for (int b = 0; b < 256; ++b) m.emplace(byte_to_code_point()[b], b);
    return m;
  }();
  const auto it = inverse.find(c);
  return it == inverse.end() ? -1 : it->second;
}

}  // namespace strata::tokenizer_detail
