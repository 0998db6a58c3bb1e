// Hugging Face tokenizer.json: WordLevel models (the shipped synthetic models)
// and byte-level BPE models (GPT-2 and Qwen2 style).
//
// Supported pieces of the format:
//   model.type            WordLevel (vocab, unk_token) | BPE (vocab, merges as "a b" strings
//                         or ["a", "b"] pairs, byte-level)
//   pre_tokenizer         Whitespace | WhitespaceSplit | ByteLevel | Split with the GPT-2 or the
//                         Qwen2 regex | Sequence of these
//   normalizer            null | NFC (input is taken as already NFC)
//   added_tokens          matched first, verbatim, before pre-tokenization
// Anything else is refused with a message naming the field, never guessed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata {

class Tokenizer {
 public:
  // Parses and validates tokenizer.json text. `label` names the file in errors.
  static Tokenizer from_json(const std::string& json_text, const std::string& label);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // `label` names the text (not the file) in errors: "prompt: invalid UTF-8 at byte 3".
  std::vector<int32_t> encode(const std::string& text, const std::string& label = "text") const;
  std::string decode(const std::vector<int32_t>& ids) const;  // text, byte-level decoded
  const std::string& token(int32_t id) const;                // the vocab entry as written in the file
  std::optional<int32_t> token_to_id(const std::string& token) const;
  int32_t vocab_size() const;  // 1 + the largest id, added tokens included
  bool is_byte_level_bpe() const;  // a BPE model over GPT-2's byte map (GPT-2, Qwen2), not WordLevel

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
