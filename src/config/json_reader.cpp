#include "config/json_reader.h"

#include <algorithm>
#include <charconv>

namespace tsyncd::config_detail {

using simdjson::dom::element;
using simdjson::dom::element_type;

void Problems::add(std::string_view path, std::string_view message) {
  std::string line(path);
  if (!line.empty()) line += ": ";
  line += message;
  lines_.push_back(std::move(line));
}

namespace {

bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence.
std::string_view shorten(std::string_view text, size_t max, bool& cut) {
  cut = text.size() > max;
  if (!cut) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string type_name(element value) {
  switch (value.type()) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
    default: return "a number";
  }
}

std::string range_text(int64_t min, int64_t max) {
  return std::to_string(min) + ".." + std::to_string(max);
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string member_path(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (is_identifier(key)) {
    if (!out.empty()) out += '.';
    out += key;
  } else {
    out += '[';
    out += json_quote(key);
    out += ']';
  }
  return out;
}

std::string index_path(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string describe(element value, Shown shown) {
  if (shown == Shown::type_only) return type_name(value);
  switch (value.type()) {
    case element_type::ARRAY:
    case element_type::OBJECT: return type_name(value);
    case element_type::STRING: {
      bool cut = false;
      std::string out = json_quote(shorten(value.get_string().value_unsafe(), 48, cut));
      if (cut) out += "...";
      return out;
    }
    default: return simdjson::minify(value);
  }
}

std::optional<std::string> read_string(element value, const std::string& path, Problems& problems,
                                       Shown shown) {
  std::string_view text;
  if (value.get_string().get(text)) {
    problems.add(path, "expected a string, got " + describe(value, shown));
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<int64_t> read_integer(element value, const std::string& path, Problems& problems,
                                    int64_t min, int64_t max, std::string_view max_note) {
  bool above_max = false;  // an integer too large for `max`, or for int64 itself
  std::optional<int64_t> number;
  switch (value.type()) {
    case element_type::INT64: number = value.get_int64().value_unsafe(); break;
    case element_type::UINT64: above_max = true; break;
    case element_type::STRING: {
      std::string_view text = value.get_string().value_unsafe();
      if (all_digits(text)) {
        int64_t parsed = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (ec == std::errc() && end == text.data() + text.size())
          number = parsed;
        else
          above_max = true;
      }
      break;
    }
    default: break;
  }
  if (number && *number >= min && *number <= max) return number;
  above_max = above_max || (number && *number > max);
  std::string message = "expected an integer " + range_text(min, max) +
                        " (a number or a string of digits), got " + describe(value);
  if (above_max && !max_note.empty()) {
    message += "; ";
    message += max_note;
  }
  problems.add(path, message);
  return std::nullopt;
}

std::optional<bool> read_boolean(element value, const std::string& path, Problems& problems) {
  bool flag = false;
  if (!value.get_bool().get(flag)) return flag;
  std::string_view text;
  if (!value.get_string().get(text)) {
    if (text == "true") return true;
    if (text == "false") return false;
  }
  problems.add(path, "expected true or false (a boolean or the string \"true\"/\"false\"), got " +
                         describe(value));
  return std::nullopt;
}

std::optional<Duration> read_duration(element value, const std::string& path, Problems& problems,
                                      Duration min, Duration max) {
  std::string_view text;
  std::optional<Duration> parsed;
  if (!value.get_string().get(text)) {
    if (auto d = parse_duration(text); d.ok()) parsed = *d;
  }
  if (!parsed) {
    problems.add(path, "expected a duration string with a unit (500ms, 30s, 5m, 2h, 1d), got " +
                           describe(value));
    return std::nullopt;
  }
  if (*parsed < min) {
    problems.add(path, "must be at least " + format_duration(min) + ", got " + describe(value));
    return std::nullopt;
  }
  if (max.count() > 0 && *parsed > max) {
    problems.add(path, "must be at most " + format_duration(max) + ", got " + describe(value));
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::vector<std::string>> read_list(element value, const std::string& path,
                                                  Problems& problems, std::string_view item) {
  std::vector<std::string> items;
  std::string_view text;
  simdjson::dom::array array;
  if (!value.get_string().get(text)) {
    items = split_list(text);
  } else if (!value.get_array().get(array)) {
    bool all_valid = true;
    size_t index = 0;
    for (element entry : array) {
      std::string entry_path = index_path(path, index++);
      std::string_view name;
      if (entry.get_string().get(name) || trim(name).empty()) {
        problems.add(entry_path,
                     "expected a non-empty " + std::string(item) + " name, got " + describe(entry));
        all_valid = false;
        continue;
      }
      items.push_back(trim(name));
    }
    if (!all_valid) return std::nullopt;
  } else {
    problems.add(
        path, "expected a comma-separated string or an array of strings, got " + describe(value));
    return std::nullopt;
  }
  if (items.empty()) {
    problems.add(path, "expected at least one " + std::string(item) + ", got " + describe(value));
    return std::nullopt;
  }
  bool unique = true;
  for (size_t i = 0; i < items.size(); ++i) {
    if (std::find(items.begin(), items.begin() + i, items[i]) != items.begin() + i) {
      problems.add(path, "lists " + std::string(item) + " " + json_quote(items[i]) + " twice");
      unique = false;
    }
  }
  if (!unique) return std::nullopt;
  return items;
}

ObjectReader::ObjectReader(simdjson::dom::object object, std::string path, Problems& problems)
    : object_(object), path_(std::move(path)), problems_(&problems) {}

std::optional<ObjectReader> ObjectReader::from(element value, std::string path,
                                               Problems& problems) {
  simdjson::dom::object object;
  if (value.get_object().get(object)) {
    problems.add(path, "expected an object, got " + describe(value));
    return std::nullopt;
  }
  return ObjectReader(object, std::move(path), problems);
}

std::optional<element> ObjectReader::get(std::string_view key) const {
  element value;
  if (object_.at_key(key).get(value)) return std::nullopt;
  return value;
}

bool ObjectReader::require(std::string_view key, std::string_view what) {
  if (has(key)) return true;
  problems_->add(path_of(key), "required (" + std::string(what) + ")");
  return false;
}

std::optional<std::string> ObjectReader::string(std::string_view key, Shown shown) {
  auto value = get(key);
  if (!value) return std::nullopt;
  return read_string(*value, path_of(key), *problems_, shown);
}

std::optional<int64_t> ObjectReader::integer(std::string_view key, int64_t min, int64_t max,
                                             std::string_view max_note) {
  auto value = get(key);
  if (!value) return std::nullopt;
  return read_integer(*value, path_of(key), *problems_, min, max, max_note);
}

std::optional<bool> ObjectReader::boolean(std::string_view key) {
  auto value = get(key);
  if (!value) return std::nullopt;
  return read_boolean(*value, path_of(key), *problems_);
}

std::optional<Duration> ObjectReader::duration(std::string_view key, Duration min, Duration max) {
  auto value = get(key);
  if (!value) return std::nullopt;
  return read_duration(*value, path_of(key), *problems_, min, max);
}

std::optional<std::vector<std::string>> ObjectReader::list(std::string_view key,
                                                           std::string_view item) {
  auto value = get(key);
  if (!value) return std::nullopt;
  return read_list(*value, path_of(key), *problems_, item);
}

std::optional<ObjectReader> ObjectReader::object(std::string_view key) {
  auto value = get(key);
  if (!value) return std::nullopt;
  return from(*value, path_of(key), *problems_);
}

void ObjectReader::check_keys(const std::vector<std::string_view>& known,
                              const std::map<std::string_view, std::string>& hints) {
  std::map<std::string_view, int> seen;
  for (auto [key, value] : object_) {
    if (++seen[key] == 2) problems_->add(path_of(key), "key given more than once");
    if (seen[key] > 1) continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    if (auto hint = hints.find(key); hint != hints.end()) {
      problems_->add(path_of(key), hint->second);
      continue;
    }
    std::string_view best;
    size_t best_distance = 3;
    for (std::string_view candidate : known) {
      size_t distance = edit_distance(key, candidate);
      if (distance < best_distance && distance < key.size()) {
        best = candidate;
        best_distance = distance;
      }
    }
    std::vector<std::string> names(known.begin(), known.end());
    problems_->add(path_of(key), best.empty()
                                     ? "unknown key (expected one of: " + join(names, ", ") + ")"
                                     : "unknown key (did you mean '" + std::string(best) + "'?)");
  }
}

namespace {

// simdjson's DOM parser says what is wrong but not where. Its On-Demand parser stops where it
// finds a problem, so walking the document with it gives the position to report.
simdjson::error_code walk(simdjson::ondemand::value value) {
  using simdjson::ondemand::json_type;
  json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object object;
      if (auto error = value.get_object().get(object)) return error;
      for (auto member : object) {
        simdjson::ondemand::field field;
        if (auto error = std::move(member).get(field)) return error;
        if (auto error = walk(field.value())) return error;
      }
      return simdjson::SUCCESS;
    }
    case json_type::array: {
      simdjson::ondemand::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto entry : array) {
        simdjson::ondemand::value child;
        if (auto error = std::move(entry).get(child)) return error;
        if (auto error = walk(child)) return error;
      }
      return simdjson::SUCCESS;
    }
    case json_type::string: return value.get_string().error();
    case json_type::number: return value.get_double().error();
    case json_type::boolean: return value.get_bool().error();
    case json_type::null: return value.is_null().error();
  }
  return simdjson::SUCCESS;
}

std::optional<size_t> locate_syntax_error(const simdjson::padded_string& text) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document document;
  if (parser.iterate(text).get(document)) return std::nullopt;
  simdjson::ondemand::value root;
  if (!document.get_value().get(root)) (void)walk(root);
  const char* location = nullptr;
  if (document.current_location().get(location)) return std::nullopt;
  if (location < text.data() || location > text.data() + text.size()) return std::nullopt;
  return static_cast<size_t>(location - text.data());
}

}  // namespace

Result<element> parse_json(simdjson::dom::parser& parser, const simdjson::padded_string& text) {
  element root;
  simdjson::error_code error = parser.parse(text).get(root);
  if (!error) return root;
  std::string where;
  if (auto offset = locate_syntax_error(text)) {
    std::string_view before(text.data(), *offset);
    size_t line = 1 + std::count(before.begin(), before.end(), '\n');
    size_t line_start = before.rfind('\n');
    size_t column = *offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    where = " at line " + std::to_string(line) + ", column " + std::to_string(column);
  }
  return make_error(ErrorKind::config,
                    "invalid JSON" + where + ": " + simdjson::error_message(error));
}

}  // namespace tsyncd::config_detail
