// What a read tokenizer.json holds, shared by the reader (tokenizer-reader.cpp)
// and the encoder (tokenizer.cpp). Private to those two files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/tokenizer-bpe.h"
#include "io/tokenizer.h"
#include "io/unicode.h"

namespace strata {

namespace tokenizer_detail {

enum class ModelKind { word_level, bpe };

struct PreTokenStep {
  enum class Kind { split, whitespace_split, byte_level } kind;
  unicode::Pattern pattern = unicode::Pattern::gpt2;  // split
  bool keep_gaps = true;                               // split: text between matches is kept (Isolated)
  bool add_prefix_space = false;                       // byte_level
  bool use_regex = true;                               // byte_level
};

struct AddedToken {
  std::string content;
  int32_t id;
};

}  // namespace tokenizer_detail

struct Tokenizer::Impl {
  std::string label;
  tokenizer_detail::ModelKind kind = tokenizer_detail::ModelKind::word_level;
  std::unordered_map<std::string, int32_t> vocab;  // the model's vocabulary
  std::optional<int32_t> unk_id;
  bool fuse_unk = false;
  tokenizer_detail::BpeMerges merges;
  std::vector<tokenizer_detail::PreTokenStep> pre_tokenizer;
  std::vector<tokenizer_detail::AddedToken> added;  // longest content first
  std::unordered_map<std::string, int32_t> added_ids;
  std::unordered_map<int32_t, std::string> id_to_token;  // model and added tokens
  bool byte_level = false;                               // decode through the byte map
  int32_t vocab_size = 0;

  std::vector<int32_t> encode(const std::string& text, const std::string& text_label) const;
  void encode_segment(const std::string& segment, std::vector<int32_t>& ids) const;
  void encode_piece(const std::string& piece, std::vector<int32_t>& ids) const;
};

}  // namespace strata
