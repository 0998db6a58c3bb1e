// Unicode text for the tokenizer: strict UTF-8, code-point classes from the
// generated tables, and the scanners of the pre-tokenizer patterns (see
// unicode.h). Each scanner returns where the pattern's match starting at a
// position ends, trying the alternatives in the regex's order.
#include "io/unicode.h"

#include <algorithm>
#include <iterator>

#include "base/error.h"

namespace strata::unicode {

#include "io/unicode-tables.inc"

const char* const k_gpt2_pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const k_qwen2_pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const k_llama3_pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// --- code-point classes ------------------------------------------------------

namespace {

template <size_t N>
bool in_table(const CodePointRange (&table)[N], char32_t c) {
  const CodePointRange* end = table + N;
  const CodePointRange* it =
      std::upper_bound(table, end, c, [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return it != table && c <= std::prev(it)->last;
}

bool is_ascii_letter(char32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }

}  // namespace

bool is_letter(char32_t c) { return c < 0x80 ? is_ascii_letter(c) : in_table(k_letter_ranges, c); }
bool is_number(char32_t c) { return c < 0x80 ? is_ascii_digit(c) : in_table(k_number_ranges, c); }
bool is_whitespace(char32_t c) {
  return c < 0x80 ? (c == ' ' || (c >= 0x09 && c <= 0x0D)) : in_table(k_whitespace_ranges, c);
}
bool is_word(char32_t c) {
  return c < 0x80 ? (is_ascii_letter(c) || is_ascii_digit(c) || c == '_') : in_table(k_word_ranges, c);
}
const char* table_version() { return STRATA_UNICODE_VERSION; }

// --- UTF-8 -------------------------------------------------------------------

namespace {

// Length of the valid sequence starting at text[i] and its value, or 0 when invalid.
size_t decode_one(const std::string& text, size_t i, char32_t& out) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  size_t length;
  char32_t min_value;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, min_value = 0x80, out = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, min_value = 0x800, out = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, min_value = 0x10000, out = b0 & 0x07;
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    out = (out << 6) | (byte(i + k) & 0x3F);
  }
  if (out < min_value || out > 0x10FFFF || (out >= 0xD800 && out <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

DecodedText decode_utf8(const std::string& text, const std::string& where) {
  DecodedText decoded;
  decoded.code_points.reserve(text.size());
  decoded.offsets.reserve(text.size() + 1);
  size_t i = 0;
  while (i < text.size()) {
    char32_t c = 0;
    const size_t length = decode_one(text, i, c);
    if (length == 0) throw Error(where + ": invalid UTF-8 at byte " + std::to_string(i));
    decoded.code_points.push_back(c);
    decoded.offsets.push_back(i);
    i += length;
  }
  decoded.offsets.push_back(text.size());
  return decoded;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

namespace {

// How many bytes of an invalid sequence at text[i] form one maximal subpart.
size_t invalid_subpart_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  size_t need = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
  else if (b0 >= 0xE0 && b0 <= 0xEF) need = 2, low = b0 == 0xE0 ? 0xA0 : 0x80, high = b0 == 0xED ? 0x9F : 0xBF;
  else if (b0 >= 0xF0 && b0 <= 0xF4) need = 3, low = b0 == 0xF0 ? 0x90 : 0x80, high = b0 == 0xF4 ? 0x8F : 0xBF;
  size_t length = 1;
  while (length <= need && i + length < text.size()) {
    const unsigned char b = byte(i + length);
    const bool ok = length == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
    if (!ok) break;
    ++length;
  }
  return length;
}

}  // namespace

std::string to_valid_utf8(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    char32_t c = 0;
    const size_t length = decode_one(bytes, i, c);
    if (length == 0) {
      append_utf8(out, 0xFFFD);
      i += invalid_subpart_length(bytes, i);
    } else {
      out.append(bytes, i, length);
      i += length;
    }
  }
  return out;
}

// --- pattern scanners ----------------------------------------------------------

namespace {

using Text = std::vector<char32_t>;

bool is_newline(char32_t c) { return c == '\r' || c == '\n'; }
bool is_other(char32_t c) { return !is_whitespace(c) && !is_letter(c) && !is_number(c); }  // [^\s\p{L}\p{N}]

template <typename Predicate>
size_t run_end(const Text& t, size_t i, Predicate predicate) {
  while (i < t.size() && predicate(t[i])) ++i;
  return i;
}

// The lower-case ASCII letter a contraction may use, under (?i) case folding
// (U+017F LATIN SMALL LETTER LONG S folds to 's').
char32_t fold(char32_t c, bool ignore_case) {
  if (!ignore_case) return c;
  if (c == 0x17F) return 's';
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

// 's|'t|'re|'ve|'m|'ll|'d: the length matched at i, or 0.
size_t contraction(const Text& t, size_t i, bool ignore_case) {
  if (t[i] != '\'' || i + 1 >= t.size()) return 0;
  const char32_t a = fold(t[i + 1], ignore_case);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= t.size()) return 0;
  const char32_t b = fold(t[i + 2], ignore_case);
  if ((a == 'r' || a == 'v') && b == 'e') return 3;
  if (a == 'l' && b == 'l') return 3;
  return 0;
}

// \s+(?!\S)|\s+ at a whitespace character i: a run of whitespace followed by
// a non-space gives up its last character (which then starts the next piece).
size_t whitespace_tail(const Text& t, size_t i) {
  const size_t end = run_end(t, i, is_whitespace);
  if (end == t.size() || end - i == 1) return end;
  return end - 1;
}

// ' ?X+' for a class X: the end of the match at i, or i.
template <typename Predicate>
size_t optional_space_run(const Text& t, size_t i, Predicate predicate) {
  if (t[i] == ' ' && i + 1 < t.size() && predicate(t[i + 1])) return run_end(t, i + 1, predicate);
  if (predicate(t[i])) return run_end(t, i, predicate);
  return i;
}

size_t scan_gpt2(const Text& t, size_t i) {
  if (size_t k = contraction(t, i, false)) return i + k;
  for (auto predicate : {is_letter, is_number, is_other}) {
    const size_t end = optional_space_run(t, i, predicate);
    if (end != i) return end;
  }
  return whitespace_tail(t, i);
}

size_t scan_qwen2(const Text& t, size_t i, size_t max_digits) {
  if (size_t k = contraction(t, i, true)) return i + k;
  const char32_t c = t[i];
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (!is_newline(c) && !is_letter(c) && !is_number(c) && i + 1 < t.size() && is_letter(t[i + 1]))
    return run_end(t, i + 1, is_letter);
  if (is_letter(c)) return run_end(t, i, is_letter);
  // \p{N} or \p{N}{1,3}
  if (is_number(c)) return std::min(run_end(t, i, is_number), i + max_digits);
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  const size_t other_end = optional_space_run(t, i, is_other);
  if (other_end != i) return run_end(t, other_end, is_newline);
  // \s*[\r\n]+ ends just after the last newline of the whitespace run
  const size_t end = run_end(t, i, is_whitespace);
  for (size_t k = end; k > i; --k)
    if (is_newline(t[k - 1])) return k;
  return whitespace_tail(t, i);
}

// \w+|[^\w\s]+ ; whitespace is not matched (returns i).
size_t scan_whitespace(const Text& t, size_t i) {
  if (is_word(t[i])) return run_end(t, i, is_word);
  return run_end(t, i, [](char32_t c) { return !is_word(c) && !is_whitespace(c); });
}

size_t scan(Pattern pattern, const Text& t, size_t i) {
  switch (pattern) {
    case Pattern::gpt2: return scan_gpt2(t, i);
    case Pattern::qwen2: return scan_qwen2(t, i, 1);
    case Pattern::llama3: return scan_qwen2(t, i, 3);
    case Pattern::whitespace: return scan_whitespace(t, i);
  }
  return i;
}

}  // namespace

std::vector<Span> find_matches(Pattern pattern, const std::vector<char32_t>& text) {
  std::vector<Span> spans;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = scan(pattern, text, i);
    if (end == i) {
      ++i;
      continue;
    }
    spans.push_back({i, end});
    i = end;
  }
  return spans;
}

}  // namespace strata::unicode
