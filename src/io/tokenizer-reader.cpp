// Reading and validating a Hugging Face tokenizer.json into Tokenizer::Impl:
// normalizer, pre-tokenizer, model (word-level or BPE), added tokens and the
// decoding options. A part the encoder does not implement is refused, naming the field.
#include <algorithm>

#include "base/error.h"
#include "io/json-reader.h"
#include "io/tokenizer-impl.h"

namespace strata {

using nlohmann::json;
using namespace tokenizer_detail;

namespace {

constexpr int64_t k_max_token_id = (int64_t{1} << 24) - 1;

std::string describe(const json& value) {
  if (value.is_string()) return "\"" + value.get<std::string>() + "\"";
  if (value.is_primitive()) return value.dump();
  return std::string(value.type_name());
}

// "<where>.key", or "<label>: key" at the top level (where ends with ':').
std::string child(const std::string& where, const char* key) {
  return where + (!where.empty() && where.back() == ':' ? " " : ".") + key;
}

const json* find_field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const json& require_field(const json& object, const char* key, const std::string& where) {
  const json* value = find_field(object, key);
  if (!value) throw Error(child(where, key) + ": missing");
  return *value;
}

void require_object(const json& value, const std::string& where) {
  if (!value.is_object()) fail_expected(where, "an object", describe(value));
}

std::string require_string(const json& object, const char* key, const std::string& where) {
  const json& value = require_field(object, key, where);
  if (!value.is_string()) fail_expected(child(where, key), "a string", describe(value));
  return value.get<std::string>();
}

// A boolean that may be absent (or null), then `fallback`.
bool optional_bool(const json& object, const char* key, bool fallback, const std::string& where) {
  const json* value = find_field(object, key);
  if (!value || value->is_null()) return fallback;
  if (!value->is_boolean()) fail_expected(child(where, key), "a boolean", describe(*value));
  return value->get<bool>();
}

// Refuses a boolean option set to true that this reader does not implement.
void refuse_true(const json& object, const char* key, const std::string& where, const char* why) {
  if (optional_bool(object, key, false, where))
    throw Error(child(where, key) + ": true is not supported (" + why + ")");
}

// A string option that must be absent, null or empty.
void require_empty_string(const json& object, const char* key, const std::string& where) {
  const json* value = find_field(object, key);
  if (!value || value->is_null() || (value->is_string() && value->get<std::string>().empty())) return;
  fail_expected(child(where, key), "null or \"\"", describe(*value));
}

void require_null(const json& object, const char* key, const std::string& where) {
  const json* value = find_field(object, key);
  if (value && !value->is_null()) fail_expected(child(where, key), "null", describe(*value));
}

int32_t read_token_id(const json& value, const std::string& where) {
  if (!value.is_number_integer()) fail_expected(where, "an integer id", describe(value));
  if (value.is_number_unsigned() ? value.get<uint64_t>() > uint64_t(k_max_token_id)
                                 : (value.get<int64_t>() < 0 || value.get<int64_t>() > k_max_token_id))
    fail_expected(where, "an id in [0, " + std::to_string(k_max_token_id) + "]", value.dump());
  return static_cast<int32_t>(value.get<int64_t>());
}

void read_normalizer(const json& root, const std::string& label) {
  const json* normalizer = find_field(root, "normalizer");
  if (!normalizer || normalizer->is_null()) return;
  const std::string where = label + ": normalizer";
  require_object(*normalizer, where);
  const std::string type = require_string(*normalizer, "type", where);
  if (type != "NFC") fail_expected(where + ".type", "null or NFC", "\"" + type + "\"");
}

PreTokenStep read_split(const json& step, const std::string& where) {
  const json& pattern = require_field(step, "pattern", where);
  require_object(pattern, where + ".pattern");
  const json* regex = find_field(pattern, "Regex");
  if (!regex || !regex->is_string())
    fail_expected(where + ".pattern", "{\"Regex\": <the GPT-2, Qwen2 or Llama-3 pattern>}", pattern.dump());
  const std::string text = regex->get<std::string>();
  PreTokenStep split{PreTokenStep::Kind::split};
  if (text == unicode::k_gpt2_pattern) split.pattern = unicode::Pattern::gpt2;
  else if (text == unicode::k_qwen2_pattern) split.pattern = unicode::Pattern::qwen2;
  else if (text == unicode::k_llama3_pattern) split.pattern = unicode::Pattern::llama3;
  else fail_expected(where + ".pattern.Regex", "the GPT-2, Qwen2 or Llama-3 pattern", "\"" + text + "\"");
  const std::string behavior = require_string(step, "behavior", where);
  if (behavior != "Isolated") fail_expected(where + ".behavior", "\"Isolated\"", "\"" + behavior + "\"");
  refuse_true(step, "invert", where, "only matches are kept as pieces");
  return split;
}

PreTokenStep read_byte_level(const json& step, const std::string& where) {
  PreTokenStep byte_level{PreTokenStep::Kind::byte_level};
  const json& prefix = require_field(step, "add_prefix_space", where);
  if (!prefix.is_boolean()) fail_expected(where + ".add_prefix_space", "a boolean", describe(prefix));
  byte_level.add_prefix_space = prefix.get<bool>();
  byte_level.use_regex = optional_bool(step, "use_regex", true, where);
  return byte_level;
}

void read_pre_tokenizer_step(const json& step, const std::string& where, std::vector<PreTokenStep>& steps) {
  require_object(step, where);
  const std::string type = require_string(step, "type", where);
  if (type == "Whitespace") {
    PreTokenStep whitespace{PreTokenStep::Kind::split, unicode::Pattern::whitespace};
    whitespace.keep_gaps = false;
    steps.push_back(whitespace);
  } else if (type == "WhitespaceSplit") {
    steps.push_back({PreTokenStep::Kind::whitespace_split});
  } else if (type == "ByteLevel") {
    steps.push_back(read_byte_level(step, where));
  } else if (type == "Split") {
    steps.push_back(read_split(step, where));
  } else if (type == "Sequence") {
    const json& list = require_field(step, "pretokenizers", where);
    if (!list.is_array()) fail_expected(where + ".pretokenizers", "an array", describe(list));
    for (size_t i = 0; i < list.size(); ++i)
      read_pre_tokenizer_step(list[i], where + ".pretokenizers[" + std::to_string(i) + "]", steps);
  } else {
    fail_expected(where + ".type", "Whitespace, WhitespaceSplit, ByteLevel, Split or Sequence", "\"" + type + "\"");
  }
}

void read_vocab(const json& model, const std::string& where, Tokenizer::Impl& impl) {
  const json& vocab = require_field(model, "vocab", where);
  require_object(vocab, where + ".vocab");
  impl.vocab.reserve(vocab.size());
  for (const auto& [token, value] : vocab.items()) {
    const int32_t id = read_token_id(value, where + ".vocab[\"" + token + "\"]");
    impl.vocab.emplace(token, id);
    impl.id_to_token.emplace(id, token);  // of two tokens with one id, the first in key order names it
  }
}

void read_unk_token(const json& model, const std::string& where, bool required, Tokenizer::Impl& impl) {
  const json* unk = find_field(model, "unk_token");
  if (!unk || unk->is_null()) {
    if (required) throw Error(where + ".unk_token: missing (a WordLevel model needs one for unknown words)");
    return;
  }
  if (!unk->is_string()) fail_expected(where + ".unk_token", "a string", describe(*unk));
  const auto it = impl.vocab.find(unk->get<std::string>());
  if (it == impl.vocab.end())
    throw Error(where + ".unk_token: " + describe(*unk) + " is not in model.vocab");
  impl.unk_id = it->second;
}

void read_bpe_options(const json& model, const std::string& where, Tokenizer::Impl& impl) {
  require_null(model, "dropout", where);
  require_empty_string(model, "continuing_subword_prefix", where);
  require_empty_string(model, "end_of_word_suffix", where);
  refuse_true(model, "byte_fallback", where, "<0xNN> byte tokens are not implemented; byte-level BPE needs none");
  refuse_true(model, "ignore_merges", where, "every word is merged from its characters");
  impl.fuse_unk = optional_bool(model, "fuse_unk", false, where);
}

void read_model(const json& root, const std::string& label, Tokenizer::Impl& impl) {
  const std::string where = label + ": model";
  const json& model = require_field(root, "model", label + ":");
  require_object(model, where);
  const std::string type = require_string(model, "type", where);
  if (type != "WordLevel" && type != "BPE") fail_expected(where + ".type", "WordLevel or BPE", "\"" + type + "\"");
  read_vocab(model, where, impl);
  if (type == "WordLevel") {
    impl.kind = ModelKind::word_level;
    read_unk_token(model, where, true, impl);
    return;
  }
  impl.kind = ModelKind::bpe;
  read_bpe_options(model, where, impl);
  read_unk_token(model, where, false, impl);
  impl.merges = tokenizer_detail::read_bpe_merges(require_field(model, "merges", where), impl.vocab,
                                                  where + ".merges");
}

void read_added_tokens(const json& root, const std::string& label, Tokenizer::Impl& impl) {
  const json* list = find_field(root, "added_tokens");
  if (!list || list->is_null()) return;
  if (!list->is_array()) fail_expected(label + ": added_tokens", "an array", describe(*list));
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = label + ": added_tokens[" + std::to_string(i) + "]";
    const json& entry = (*list)[i];
    require_object(entry, where);
    const int32_t id = read_token_id(require_field(entry, "id", where), where + ".id");
    const std::string content = require_string(entry, "content", where);
    if (content.empty()) fail_expected(where + ".content", "a non-empty string", "\"\"");
    unicode::decode_utf8(content, where + ".content");
    for (const char* key : {"single_word", "lstrip", "rstrip"})
      refuse_true(entry, key, where, "added tokens are matched verbatim");
    if (!impl.added_ids.emplace(content, id).second) throw Error(where + ".content: \"" + content + "\" appears twice");
    impl.added.push_back({content, id});
    impl.id_to_token[id] = content;
  }
  std::stable_sort(impl.added.begin(), impl.added.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
}

// decoder and post_processor: null or ByteLevel; truncation and padding: null.
void read_decoding_options(const json& root, const std::string& label, Tokenizer::Impl& impl) {
  for (const char* key : {"decoder", "post_processor"}) {
    const json* value = find_field(root, key);
    if (!value || value->is_null()) continue;
    const std::string where = label + ": " + key;
    require_object(*value, where);
    const std::string type = require_string(*value, "type", where);
    if (type != "ByteLevel") fail_expected(where + ".type", "null or ByteLevel", "\"" + type + "\"");
    if (std::string(key) == "decoder") impl.byte_level = true;
  }
  require_null(root, "truncation", label + ":");
  require_null(root, "padding", label + ":");
}

}  // namespace

Tokenizer Tokenizer::from_json(const std::string& json_text, const std::string& label) {
  const json root = parse_json_strict(json_text, label);
  if (!root.is_object()) fail_expected(label, "a JSON object", describe(root));
  auto impl = std::make_unique<Impl>();
  impl->label = label;
  read_normalizer(root, label);
  if (const json* pre = find_field(root, "pre_tokenizer"); pre && !pre->is_null())
    read_pre_tokenizer_step(*pre, label + ": pre_tokenizer", impl->pre_tokenizer);
  read_model(root, label, *impl);
  read_added_tokens(root, label, *impl);
  read_decoding_options(root, label, *impl);
  for (const PreTokenStep& step : impl->pre_tokenizer)
    if (step.kind == PreTokenStep::Kind::byte_level) impl->byte_level = true;
  for (const auto& entry : impl->id_to_token) impl->vocab_size = std::max(impl->vocab_size, entry.first + 1);
  return Tokenizer(std::move(impl));
}

}  // namespace strata
