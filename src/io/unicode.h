// Unicode text for the tokenizer: strict UTF-8 decoding and encoding, the
// code-point classes the pre-tokenizer patterns use (\p{L}, \p{N}, \s, \w;
// tables generated into unicode-tables.inc by scripts/gen-unicode-tables.py),
// and hand-written scanners for the few regular expressions that Hugging Face
// tokenizer.json files use to pre-tokenize. The scanners follow the regex
// engine's leftmost, first-alternative-wins semantics, backtracking included;
// no std::regex.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace strata::unicode {

struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
};

bool is_letter(char32_t c);      // \p{L}
bool is_number(char32_t c);      // \p{N}
bool is_whitespace(char32_t c);  // \s: the Unicode White_Space property
bool is_word(char32_t c);        // \w: letters, marks, Nd, Nl, Pc, ZWNJ, ZWJ
const char* table_version();     // the Unicode version of the tables

// A decoded text: code_points[i] occupies bytes [offsets[i], offsets[i + 1]).
struct DecodedText {
  std::vector<char32_t> code_points;
  std::vector<size_t> offsets;  // code_points.size() + 1 entries
};

// Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF); an invalid
// sequence throws strata::Error "<where>: invalid UTF-8 at byte N".
DecodedText decode_utf8(const std::string& text, const std::string& where);
void append_utf8(std::string& out, char32_t c);

// The pre-tokenizer patterns recognised by their exact regex text.
enum class Pattern {
  gpt2,        // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  qwen2,       // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  llama3,      // as qwen2 with \p{N}{1,3}
  whitespace,  // \w+|[^\w\s]+
};

extern const char* const k_gpt2_pattern;
extern const char* const k_qwen2_pattern;
extern const char* const k_llama3_pattern;

struct Span {
  size_t begin;  // code-point indices, end exclusive
  size_t end;
};

// Every non-overlapping match of `pattern` in `text`, left to right.
std::vector<Span> find_matches(Pattern pattern, const std::vector<char32_t>& text);

}  // namespace strata::unicode

namespace strata::unicode {

// `bytes` as valid UTF-8: each maximal invalid subpart becomes U+FFFD (the
// substitution that Rust's from_utf8_lossy, and so Hugging Face decoding, makes).
std::string to_valid_utf8(const std::string& bytes);

}  // namespace strata::unicode
