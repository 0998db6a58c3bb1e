// Strict JSON parsing: a SAX handler that builds the DOM while refusing
// duplicate keys, excessive nesting, excessive element counts and numbers
// outside the range of a double; and typed getters whose errors say what was
// expected and what was found.
#include "io/json-reader.h"

#include <cmath>
#include <limits>
#include <vector>

#include "base/error.h"

namespace strata {
namespace {

using json = nlohmann::json;

// Text safe to show in a message: control characters become \xNN; with
// `ascii`, so do bytes outside ASCII (which may not be valid UTF-8).
std::string printable(const std::string& text, bool ascii) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || (ascii && u >= 0x80)) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// One path segment as JSON pointer text ("~" -> "~0", "/" -> "~1").
std::string pointer_segment(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return printable(out, false);
}

// What a nlohmann parse error says was wrong, without its "[json.exception...]
// parse error at line 1, column 2: " prefix ("syntax error while parsing
// value - invalid literal; last read: 'x'").
std::string parse_error_detail(const std::string& what) {
  std::string detail = what;
  const size_t at = what.find("parse error");
  const size_t colon = at == std::string::npos ? std::string::npos : what.find(": ", at);
  if (colon != std::string::npos) {
    detail = what.substr(colon + 2);
  } else if (!what.empty() && what[0] == '[') {
    const size_t close = what.find("] ");
    if (close != std::string::npos) detail = what.substr(close + 2);
  }
  return printable(detail, true);
}

// Builds the DOM like nlohmann's own json_sax_dom_parser, with the checks.
// A failed check records a message and returns false, which stops sax_parse.
class StrictDomBuilder {
 public:
  StrictDomBuilder(const std::string& label, const JsonLimits& limits) : label_(label), limits_(limits) {}

  json& root() { return root_; }
  const std::string& error() const { return error_; }

  bool null() { return add_value(json(nullptr)); }
  bool boolean(bool value) { return add_value(json(value)); }
  bool number_integer(json::number_integer_t value) { return add_value(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return add_value(json(value)); }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    if (!std::isfinite(value)) return fail("number " + text + " is out of range at " + child_path());
    return add_value(json(value));
  }
  bool string(json::string_t& value) { return add_value(json(std::move(value))); }
  bool binary(json::binary_t&) { return fail("binary data at " + child_path()); }  // not produced by JSON text

  bool start_object(std::size_t) { return open(json(json::value_t::object)); }
  bool start_array(std::size_t) { return open(json(json::value_t::array)); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& key) {
    Frame& top = stack_.back();
    if (top.container->contains(key))
      return fail("duplicate key \"" + printable(key, false) + "\" at " + container_path(stack_.size() - 1));
    top.key = key;
    top.slot = &(*top.container)[key];
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    const size_t offset = position > 0 ? position - 1 : 0;
    return fail("invalid JSON at byte " + std::to_string(offset) + ": " + parse_error_detail(ex.what()));
  }

 private:
  struct Frame {
    json* container;
    std::string key;       // the current key, in an object
    json* slot = nullptr;  // where the value of `key` goes, in an object
  };

  bool fail(const std::string& message) {
    if (error_.empty()) error_ = label_ + ": " + message;
    return false;
  }

  bool count_element() {
    if (++elements_ > limits_.max_elements)
      return fail("more than " + std::to_string(limits_.max_elements) + " JSON values (at " + child_path() + ")");
    return true;
  }

  // Places a value where the parser is; returns its address in the DOM.
  json* place(json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Frame& top = stack_.back();
    if (top.container->is_array()) {
      top.container->push_back(std::move(value));
      return &top.container->back();
    }
    *top.slot = std::move(value);
    return top.slot;
  }

  bool add_value(json&& value) {
    if (!count_element()) return false;
    place(std::move(value));
    return true;
  }

  bool open(json&& container) {
    if (!count_element()) return false;
    if (static_cast<int64_t>(stack_.size()) + 1 > limits_.max_depth)
      return fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels at " + child_path());
    stack_.push_back(Frame{place(std::move(container)), {}, nullptr});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  // The JSON pointer of the container at stack_[depth] ("/" for the root).
  std::string container_path(size_t depth) const {
    std::string path;
    for (size_t i = 0; i < depth; ++i) path += "/" + segment_in(stack_[i], true);
    return path.empty() ? "/" : path;
  }

  // The JSON pointer of the value about to be placed.
  std::string child_path() const {
    if (stack_.empty()) return "/";
    std::string path = container_path(stack_.size() - 1);
    if (path == "/") path.clear();
    return path + "/" + segment_in(stack_.back(), false);
  }

  // The segment naming a child of `frame`: the current key of an object; in
  // an array the last element (already placed) or the next one.
  static std::string segment_in(const Frame& frame, bool placed) {
    if (frame.container->is_object()) return pointer_segment(frame.key);
    const size_t n = frame.container->size();
    return std::to_string(placed ? n - 1 : n);
  }

  const std::string& label_;
  const JsonLimits& limits_;
  json root_;
  std::vector<Frame> stack_;
  uint64_t elements_ = 0;
  std::string error_;
};

const json& require_member(const json& object, const char* key, const std::string& label, const std::string& expected) {
  if (!object.is_object()) fail_expected(label, "an object", json_describe(object));
  const auto it = object.find(key);
  if (it == object.end()) fail_expected(label + ": " + key, expected, "nothing (the key is missing)");
  return *it;
}

}  // namespace

json parse_json_strict(const std::string& text, const std::string& label, const JsonLimits& limits) {
  if (static_cast<uint64_t>(text.size()) > limits.max_bytes)
    throw Error(label + ": " + std::to_string(text.size()) + " bytes of JSON exceed the limit of " +
                std::to_string(limits.max_bytes) + " bytes");
  StrictDomBuilder builder(label, limits);
  const bool ok = json::sax_parse(text, &builder, json::input_format_t::json, true);
  if (!ok) throw Error(builder.error().empty() ? label + ": invalid JSON" : builder.error());
  return std::move(builder.root());
}

std::string json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    default: return "binary data";
  }
}

std::string json_describe(const json& value) {
  constexpr size_t kMaxShown = 40;
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.size() <= kMaxShown) return "string \"" + printable(s, false) + "\"";
    size_t cut = kMaxShown;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // a whole UTF-8 sequence
    return "string \"" + printable(s.substr(0, cut), false) + "...\"";
  }
  if (value.is_number()) return value.dump();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  return json_type_name(value);
}

bool json_has(const json& object, const char* key) {
  if (!object.is_object()) return false;
  const auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

int64_t json_get_int(const json& object, const char* key, const std::string& label, int64_t min_value,
                     int64_t max_value) {
  const std::string expected = "integer in [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "]";
  const json& v = require_member(object, key, label, expected);
  const std::string where = label + ": " + key;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (max_value < 0 || u > static_cast<uint64_t>(max_value)) fail_expected(where, expected, json_describe(v));
    if (static_cast<int64_t>(u) < min_value) fail_expected(where, expected, json_describe(v));
    return static_cast<int64_t>(u);
  }
  if (!v.is_number_integer()) fail_expected(where, expected, json_describe(v));
  const int64_t i = v.get<int64_t>();
  if (i < min_value || i > max_value) fail_expected(where, expected, json_describe(v));
  return i;
}

double json_get_number(const json& object, const char* key, const std::string& label) {
  const json& v = require_member(object, key, label, "a number");
  if (!v.is_number()) fail_expected(label + ": " + key, "a number", json_describe(v));
  const double d = v.get<double>();
  if (!std::isfinite(d)) fail_expected(label + ": " + key, "a finite number", json_describe(v));
  return d;
}

std::string json_get_string(const json& object, const char* key, const std::string& label) {
  const json& v = require_member(object, key, label, "a string");
  if (!v.is_string()) fail_expected(label + ": " + key, "a string", json_describe(v));
  return v.get<std::string>();
}

bool json_get_bool(const json& object, const char* key, const std::string& label) {
  const json& v = require_member(object, key, label, "a boolean");
  if (!v.is_boolean()) fail_expected(label + ": " + key, "a boolean", json_describe(v));
  return v.get<bool>();
}

}  // namespace strata
