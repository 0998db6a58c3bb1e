// Fuzz target: tokenizer.json parsing, then tokenizing a bounded text with it.
// The input is the tokenizer file, optionally followed by the separator line
// "\n--text--\n" and the text to tokenize (at most 4 KiB of it).
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "io/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string separator = "\n--text--\n";
  const size_t at = input.find(separator);
  const std::string file = input.substr(0, at);
  const std::string text = at == std::string::npos ? "Hello world, it's 2026! \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80"
                                                   : input.substr(at + separator.size(), 4096);
  try {
    const strata::Tokenizer tokenizer = strata::Tokenizer::from_json(file, "tokenizer.json");
    for (int32_t id : tokenizer.encode(text))
      if (id < 0 || id >= tokenizer.vocab_size()) __builtin_trap();  // ids must index the vocabulary
  } catch (const strata::Error&) {
  }
  return 0;
}
