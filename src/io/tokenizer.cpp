// Hugging Face tokenizer.json: the encoding pipeline (added tokens ->
// pre-tokenizer -> byte-level map -> model) and decoding. Reading the file is
// in tokenizer-reader.cpp, the BPE merge step in tokenizer-bpe.cpp, UTF-8 and
// the pre-tokenizer patterns in unicode.cpp.
//
// Input text must be valid UTF-8: invalid bytes are an error naming the byte
// offset (they are not passed through as raw bytes). decode() always returns
// valid UTF-8: bytes of a partial character become U+FFFD.
#include "io/tokenizer.h"

#include <algorithm>

#include "base/error.h"
#include "io/tokenizer-impl.h"

namespace strata {

using namespace tokenizer_detail;

// --- encoding -------------------------------------------------------------------

namespace {

using Pieces = std::vector<std::string>;

void split_pattern(const std::string& piece, const PreTokenStep& step, Pieces& out) {
  const unicode::DecodedText text = unicode::decode_utf8(piece, "pre_tokenizer");
  size_t last = 0;  // code-point index after the previous match
  const auto emit = [&](size_t begin, size_t end) {
    if (end > begin) out.push_back(piece.substr(text.offsets[begin], text.offsets[end] - text.offsets[begin]));
  };
  for (const unicode::Span& span : unicode::find_matches(step.pattern, text.code_points)) {
    if (step.keep_gaps) emit(last, span.begin);
    emit(span.begin, span.end);
    last = span.end;
  }
  if (step.keep_gaps) emit(last, text.code_points.size());
}

void split_on_whitespace(const std::string& piece, Pieces& out) {
  const unicode::DecodedText text = unicode::decode_utf8(piece, "pre_tokenizer");
  size_t begin = 0;
  for (size_t i = 0; i <= text.code_points.size(); ++i) {
    if (i < text.code_points.size() && !unicode::is_whitespace(text.code_points[i])) continue;
    if (i > begin) out.push_back(piece.substr(text.offsets[begin], text.offsets[i] - text.offsets[begin]));
    begin = i + 1;
  }
}

std::string to_byte_symbols(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) unicode::append_utf8(out, tokenizer_detail::byte_to_code_point()[b]);
  return out;
}

void byte_level(const std::string& piece, const PreTokenStep& step, Pieces& out) {
  const std::string text = step.add_prefix_space && piece[0] != ' ' ? " " + piece : piece;
  Pieces split;
  if (step.use_regex)
    split_pattern(text, PreTokenStep{PreTokenStep::Kind::split, unicode::Pattern::gpt2}, split);
  else
    split.push_back(text);
  for (const std::string& s : split) out.push_back(to_byte_symbols(s));
}

Pieces apply_step(const Pieces& pieces, const PreTokenStep& step) {
  Pieces out;
  for (const std::string& piece : pieces) {
    if (piece.empty()) continue;
    switch (step.kind) {
      case PreTokenStep::Kind::split: split_pattern(piece, step, out); break;
      case PreTokenStep::Kind::whitespace_split: split_on_whitespace(piece, out); break;
      case PreTokenStep::Kind::byte_level: byte_level(piece, step, out); break;
    }
  }
  return out;
}

// The added token starting at text[i], longest first, or nullptr.
const AddedToken* added_token_at(const std::vector<AddedToken>& added, const std::string& text, size_t i) {
  for (const AddedToken& token : added)
    if (text.compare(i, token.content.size(), token.content) == 0) return &token;
  return nullptr;
}

}  // namespace

void Tokenizer::Impl::encode_piece(const std::string& piece, std::vector<int32_t>& ids) const {
  if (kind == ModelKind::word_level) {
    const auto it = vocab.find(piece);
    ids.push_back(it != vocab.end() ? it->second : *unk_id);
    return;
  }
  const unicode::DecodedText text = unicode::decode_utf8(piece, label + ": pre-tokenized text");
  std::vector<int32_t> symbols;
  symbols.reserve(text.code_points.size());
  bool previous_unknown = false;
  for (size_t i = 0; i < text.code_points.size(); ++i) {
    const auto it = vocab.find(piece.substr(text.offsets[i], text.offsets[i + 1] - text.offsets[i]));
    const bool unknown = it == vocab.end();
    if (!unknown) symbols.push_back(it->second);
    else if (unk_id && !(fuse_unk && previous_unknown)) symbols.push_back(*unk_id);  // dropped without one
    previous_unknown = unknown;
  }
  for (int32_t id : tokenizer_detail::bpe_merge(std::move(symbols), merges)) ids.push_back(id);
}

void Tokenizer::Impl::encode_segment(const std::string& segment, std::vector<int32_t>& ids) const {
  Pieces pieces{segment};
  for (const PreTokenStep& step : pre_tokenizer) pieces = apply_step(pieces, step);
  for (const std::string& piece : pieces)
    if (!piece.empty()) encode_piece(piece, ids);
}

std::vector<int32_t> Tokenizer::Impl::encode(const std::string& text, const std::string& text_label) const {
  unicode::decode_utf8(text, text_label);
  std::vector<int32_t> ids;
  size_t segment_begin = 0;
  size_t i = 0;
  while (i < text.size()) {
    const AddedToken* token = added.empty() ? nullptr : added_token_at(added, text, i);
    if (!token) {
      ++i;
      continue;
    }
    if (i > segment_begin) encode_segment(text.substr(segment_begin, i - segment_begin), ids);
    ids.push_back(token->id);
    i += token->content.size();
    segment_begin = i;
  }
  if (i > segment_begin) encode_segment(text.substr(segment_begin), ids);
  return ids;
}

// --- the public interface -------------------------------------------------------

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::vector<int32_t> Tokenizer::encode(const std::string& text, const std::string& label) const {
  return impl_->encode(text, label);
}

const std::string& Tokenizer::token(int32_t id) const {
  static const std::string none;
  if (id < 0 || id >= impl_->vocab_size)
    fail_expected(impl_->label + ": token id", "an id in [0, " + std::to_string(impl_->vocab_size) + ")",
                  std::to_string(id));
  const auto it = impl_->id_to_token.find(id);
  return it == impl_->id_to_token.end() ? none : it->second;  // an id no token uses
}

std::optional<int32_t> Tokenizer::token_to_id(const std::string& token) const {
  if (const auto it = impl_->added_ids.find(token); it != impl_->added_ids.end()) return it->second;
  if (const auto it = impl_->vocab.find(token); it != impl_->vocab.end()) return it->second;
  return std::nullopt;
}

int32_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

bool Tokenizer::is_byte_level_bpe() const { return impl_->kind == ModelKind::bpe && impl_->byte_level; }

namespace {

// A token's bytes through the inverse byte map; a token with a code point
// outside the map (an added token such as "<|im_start|>" maps through, but
// not every one does) contributes its own UTF-8 bytes.
void append_token_bytes(const std::string& token, std::string& out) {
  const unicode::DecodedText text = unicode::decode_utf8(token, "token");
  std::string bytes;
  for (char32_t c : text.code_points) {
    const int b = tokenizer_detail::code_point_to_byte(c);
    if (b < 0) {
      out += token;
      return;
    }
    bytes += static_cast<char>(b);
  }
  out += bytes;
}

}  // namespace

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& text = token(ids[i]);
    if (impl_->byte_level) {
      append_token_bytes(text, out);
    } else {
      if (i > 0) out += ' ';
      out += text;
    }
  }
  return unicode::to_valid_utf8(out);
}

}  // namespace strata
