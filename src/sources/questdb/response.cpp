// Answers of /exec: validation of the result object, and the one conversion of every value from
// QuestDB's JSON text into a Value (core.h ColumnType says which alternative each type takes).
#include <charconv>
#include <limits>

#include "sources/questdb/questdb.h"

namespace tsyncd::questdb {
namespace {

Error bad_answer(std::string message) { return make_error(ErrorKind::protocol, std::move(message)); }

Error error_answer(std::string_view text) {
  return make_error(ErrorKind::query, "QuestDB answered with an error: " + std::string(text));
}

// simdjson reads up to SIMDJSON_PADDING bytes past the text; give the string that capacity.
simdjson::padded_string_view padded(std::string& body) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(body.data(), body.size(), body.capacity());
}

std::string_view trim_right(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Value grammars that simdjson does not check for us

// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view text) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

// QuestDB arrays are nested JSON arrays of numbers and nulls (NaN elements render as null).
class ArrayTextCheck {
 public:
  explicit ArrayTextCheck(std::string_view text) : text_(text) {}
  bool valid() {
    if (!array(0)) return false;
    skip_space();
    return pos_ == text_.size();
  }

 private:
  static constexpr int kMaxDepth = 32;

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool array(int depth) {
    if (depth > kMaxDepth || pos_ >= text_.size() || text_[pos_] != '[') return false;
    ++pos_;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      if (!element(depth)) return false;
      skip_space();
      if (pos_ >= text_.size()) return false;
      char c = text_[pos_++];
      if (c == ']') return true;
      if (c != ',') return false;
    }
  }
  bool element(int depth) {
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '[') return array(depth + 1);
    if (text_.substr(pos_, 4) == "null") {
      pos_ += 4;
      return true;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && std::string_view("+-.0123456789eE").find(text_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
    return is_json_number(text_.substr(start, pos_ - start));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::optional<std::string> decode_base64(std::string_view text) {
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int padding = last ? (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=') : 0;
    uint32_t group = 0;
    for (int k = 0; k < 4; ++k) {
      int value = k >= 4 - padding ? 0 : sextet(text[i + k]);
      if (value < 0) return std::nullopt;
      group = group << 6 | static_cast<uint32_t>(value);
    }
    out += static_cast<char>(group >> 16);
    if (padding < 2) out += static_cast<char>(group >> 8 & 0xFF);
    if (padding < 1) out += static_cast<char>(group & 0xFF);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// How each TableInfo column travels in a page (read_sql's select list, in the same order)

enum class Conversion {
  boolean,        // true/false -> 1/0
  integer,        // BYTE, SHORT, INT, LONG -> int64, all digits
  float32,        // the number text parsed as float, widened to double
  float64,        // the number text parsed as double
  text,           // a JSON string, unescaped
  empty_is_null,  // CHAR and LONG256: QuestDB renders their NULL as ""
  timestamp,      // the string exactly as sent, checked with parse_iso_time
  array,          // the raw JSON text of the array
  binary_base64,  // BINARY, part 1: base64("c", cap)
  binary_length,  // BINARY, part 2: length("c"), -1 for NULL
};

struct WireColumn {
  std::string name;
  std::string type;  // as /exec reports it
  int array_dims = 0;
  std::string array_element;
  Conversion conversion = Conversion::text;
  size_t column = 0;  // index into TableInfo::columns
  TimeUnit unit = TimeUnit::us;
};

std::vector<WireColumn> wire_columns(const TableInfo& table) {
  std::vector<WireColumn> wire;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& column = table.columns[i];
    const std::string& type = column.source_type;
    WireColumn w;
    w.name = column.name;
    w.type = type;
    w.column = i;
    switch (column.type) {
      case ColumnType::boolean:
        w.conversion = Conversion::boolean;
        break;
      case ColumnType::int16:
      case ColumnType::int32:
      case ColumnType::int64:
        w.conversion = Conversion::integer;
        break;
      case ColumnType::float32:
        w.conversion = Conversion::float32;
        break;
      case ColumnType::float64:
        w.conversion = Conversion::float64;
        break;
      case ColumnType::timestamp_ms:
      case ColumnType::timestamp_us:
      case ColumnType::timestamp_ns:
        w.conversion = Conversion::timestamp;
        w.unit = column.type == ColumnType::timestamp_ms   ? TimeUnit::ms
                 : column.type == ColumnType::timestamp_us ? TimeUnit::us
                                                           : TimeUnit::ns;
        break;
      case ColumnType::json: {
        w.conversion = Conversion::array;
        w.type = "ARRAY";
        std::string_view element = type;
        while (element.size() > 2 && element.substr(element.size() - 2) == "[]") {
          element.remove_suffix(2);
          ++w.array_dims;
        }
        w.array_element = element;
        break;
      }
      case ColumnType::blob: {
        w.conversion = Conversion::binary_base64;
        w.type = "STRING";
        WireColumn length = w;
        length.name = column.name + std::string(kBinaryLengthSuffix);
        length.type = "LONG";
        length.conversion = Conversion::binary_length;
        wire.push_back(std::move(w));
        wire.push_back(std::move(length));
        continue;
      }
      default:
        w.conversion = type == "CHAR" || type == "LONG256" ? Conversion::empty_is_null : Conversion::text;
        break;
    }
    wire.push_back(std::move(w));
  }
  return wire;
}

std::string describe_wire_type(const WireColumn& w) {
  return w.type == "ARRAY" ? "ARRAY(" + w.array_element + ", dim " + std::to_string(w.array_dims) + ")" : w.type;
}

// ---------------------------------------------------------------------------------------------
// Page parsing with simdjson On-Demand: one pass, values converted as they are met.

using simdjson::ondemand::value;

class PageParser {
 public:
  explicit PageParser(const TableInfo& table) : table_(table), wire_(wire_columns(table)) {}

  Result<std::vector<Row>> parse(simdjson::ondemand::parser& parser, std::string& body) {
    simdjson::ondemand::document document;
    simdjson::ondemand::object root;
    if (auto error = parser.iterate(padded(body)).get(document)) return json_error(error);
    if (auto error = document.get_object().get(root)) return json_error(error);

    bool have_columns = false;
    bool have_dataset = false;
    std::optional<int64_t> count;
    for (auto field_result : root) {
      simdjson::ondemand::field field;
      std::string_view key;
      if (auto error = std::move(field_result).get(field)) return json_error(error);
      if (auto error = field.unescaped_key().get(key)) return json_error(error);
      value v = field.value();
      if (key == "error") {
        std::string_view text;
        if (v.get_string().get(text)) text = "(unreadable error text)";
        return error_answer(text);
      } else if (key == "columns") {
        if (Status s = check_columns(v); !s.ok()) return s.error();
        have_columns = true;
      } else if (key == "dataset") {
        if (Status s = read_dataset(v); !s.ok()) return s.error();
        have_dataset = true;
      } else if (key == "count") {
        int64_t n;
        if (auto error = v.get_int64().get(n)) return json_error(error);
        count = n;
      }
    }
    // Whatever follows the object is not part of a valid answer.
    if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
      return bad_answer("the answer has content after its JSON object");
    }
    if (!have_columns || !have_dataset || !count) {
      return bad_answer("the answer lacks one of \"columns\", \"dataset\", \"count\"");
    }
    if (*count != static_cast<int64_t>(rows_.size())) {
      return bad_answer("the answer says count " + std::to_string(*count) + " but has " + std::to_string(rows_.size()) +
                        " rows");
    }
    return std::move(rows_);
  }

 private:
  Error json_error(simdjson::error_code error) const {
    return bad_answer("the answer is not one complete JSON object (" + std::string(simdjson::error_message(error)) +
                      (rows_.empty() ? "" : ", after " + std::to_string(rows_.size()) + " rows") + ")");
  }

  Error value_error(const WireColumn& w, const std::string& problem) const {
    return bad_answer("row " + std::to_string(rows_.size() + 1) + ", column '" + w.name + "' (" + w.type +
                      "): " + problem);
  }

  // The answer's columns must be exactly those read_sql asked for.
  Status check_columns(value v) {
    simdjson::ondemand::array columns;
    if (auto error = v.get_array().get(columns)) return json_error(error);
    std::vector<WireColumn> seen;
    for (auto column_result : columns) {
      simdjson::ondemand::object column;
      if (auto error = column_result.get_object().get(column)) return json_error(error);
      WireColumn c;
      for (auto field_result : column) {
        simdjson::ondemand::field field;
        std::string_view key;
        if (auto error = std::move(field_result).get(field)) return json_error(error);
        if (auto error = field.unescaped_key().get(key)) return json_error(error);
        std::string_view text;
        int64_t number = 0;
        simdjson::error_code error = simdjson::SUCCESS;
        if (key == "name") {
          if (!(error = field.value().get_string().get(text))) c.name = text;
        } else if (key == "type") {
          if (!(error = field.value().get_string().get(text))) c.type = text;
        } else if (key == "elemType") {
          if (!(error = field.value().get_string().get(text))) c.array_element = text;
        } else if (key == "dim") {
          if (!(error = field.value().get_int64().get(number))) c.array_dims = static_cast<int>(number);
        }
        if (error) return json_error(error);
      }
      seen.push_back(std::move(c));
    }
    bool same = seen.size() == wire_.size();
    for (size_t i = 0; same && i < seen.size(); ++i) {
      same = seen[i].name == wire_[i].name && seen[i].type == wire_[i].type &&
             (wire_[i].type != "ARRAY" ||
              (seen[i].array_dims == wire_[i].array_dims && seen[i].array_element == wire_[i].array_element));
    }
    if (!same) {
      auto describe = [](const std::vector<WireColumn>& list) {
        std::vector<std::string> parts;
        for (const WireColumn& w : list) parts.push_back(w.name + " " + describe_wire_type(w));
        return join(parts, ", ");
      };
      return bad_answer("the answer's columns [" + describe(seen) + "] are not the requested [" + describe(wire_) +
                        "]; the table changed since it was discovered");
    }
    return ok_status();
  }

  Status read_dataset(value v) {
    simdjson::ondemand::array dataset;
    if (auto error = v.get_array().get(dataset)) return json_error(error);
    for (auto row_result : dataset) {
      simdjson::ondemand::array values;
      if (auto error = row_result.get_array().get(values)) return json_error(error);
      Row row;
      row.values.resize(table_.columns.size());
      size_t index = 0;
      for (auto value_result : values) {
        value item;
        if (auto error = value_result.get(item)) return json_error(error);
        if (index == wire_.size()) return wrong_width();
        if (Status s = convert(item, wire_[index], row); !s.ok()) return s.error();
        ++index;
      }
      if (index != wire_.size()) return wrong_width();
      rows_.push_back(std::move(row));  // every complete row has its time: a NULL one is an error
    }
    return ok_status();
  }

  Error wrong_width() const {
    return bad_answer("row " + std::to_string(rows_.size() + 1) + " does not have " + std::to_string(wire_.size()) +
                      " values");
  }

  Status convert(value& v, const WireColumn& w, Row& row) {
    bool null = false;
    if (v.is_null().get(null)) return value_error(w, "invalid JSON value");
    Value& out = row.values[w.column];

    if (w.conversion == Conversion::binary_base64) {
      binary_text_.reset();
      if (!null) {
        std::string_view text;
        if (v.get_string().get(text)) return value_error(w, "expected a base64 string");
        binary_text_ = std::string(text);
      }
      return ok_status();
    }
    if (w.conversion == Conversion::binary_length) return finish_binary(v, w, out);

    if (null) {
      if (w.column == table_.time_index) return value_error(w, "the time column is NULL");
      out = std::monostate{};
      return ok_status();
    }
    switch (w.conversion) {
      case Conversion::boolean: {
        bool b;
        if (v.get_bool().get(b)) return value_error(w, "expected true or false");
        out = int64_t{b ? 1 : 0};
        return ok_status();
      }
      case Conversion::integer: {
        int64_t n;
        if (v.get_int64().get(n)) return value_error(w, "expected a 64-bit integer");
        out = n;
        return ok_status();
      }
      case Conversion::float32: {
        float f;
        if (!parse_number(v, f)) return value_error(w, "expected a FLOAT number");
        out = static_cast<double>(f);
        return ok_status();
      }
      case Conversion::float64: {
        double d;
        if (!parse_number(v, d)) return value_error(w, "expected a DOUBLE number");
        out = d;
        return ok_status();
      }
      case Conversion::text:
      case Conversion::empty_is_null: {
        std::string_view text;
        if (v.get_string().get(text)) return value_error(w, "expected a string");
        if (text.empty() && w.conversion == Conversion::empty_is_null) {
          out = std::monostate{};
        } else {
          out = std::string(text);
        }
        return ok_status();
      }
      case Conversion::timestamp: {
        std::string_view text;
        if (v.get_string().get(text)) return value_error(w, "expected a timestamp string");
        auto time = parse_iso_time(text, w.unit);
        if (!time.ok()) return value_error(w, time.error().message);
        if (w.column == table_.time_index) row.ts = *time;
        out = std::string(text);
        return ok_status();
      }
      case Conversion::array: {
        simdjson::ondemand::array array;
        std::string_view raw;
        if (v.get_array().get(array) || array.raw_json().get(raw)) return value_error(w, "expected an array");
        raw = trim_right(raw);
        if (!ArrayTextCheck(raw).valid()) return value_error(w, "not an array of numbers and nulls");
        out = std::string(raw);
        return ok_status();
      }
      default:
        return value_error(w, "internal: unhandled conversion");
    }
  }

  // Parses the number's own text with std::from_chars<T>: a FLOAT is rounded to float once, from
  // its decimal text, never through a double.
  template <class T>
  static bool parse_number(value& v, T& out) {
    std::string_view token = trim_right(v.raw_json_token());
    if (!is_json_number(token)) return false;
    auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), out);
    return error == std::errc() && end == token.data() + token.size();
  }

  Status finish_binary(value& v, const WireColumn& w, Value& out) {
    int64_t length;
    if (v.get_int64().get(length)) return value_error(w, "expected the binary length");
    if (length == -1 && !binary_text_) {
      out = std::monostate{};
      return ok_status();
    }
    if (length < 0 || !binary_text_) return value_error(w, "binary length and value disagree about NULL");
    auto bytes = decode_base64(*binary_text_);
    if (!bytes) return value_error(w, "invalid base64 text");
    if (length > kMaxBinaryBytes) {
      return value_error(w, "binary value larger than 16 MiB (" + std::to_string(length) +
                                " bytes): QuestDB's base64() cannot deliver it whole");
    }
    if (static_cast<int64_t>(bytes->size()) != length) {
      return value_error(
          w, "binary value has " + std::to_string(bytes->size()) + " bytes, length() says " + std::to_string(length));
    }
    out = std::move(*bytes);
    return ok_status();
  }

  const TableInfo& table_;
  std::vector<WireColumn> wire_;
  std::vector<Row> rows_;
  std::optional<std::string> binary_text_;  // the base64 part of the BINARY value being read
};

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<ResultSet> parse_result_set(simdjson::dom::parser& parser, std::string& body) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (auto error = parser.parse(body).get(root)) {
    return bad_answer("the answer is not complete JSON (" + std::string(simdjson::error_message(error)) + ")");
  }
  if (root.get_object().get(object)) return bad_answer("the answer is not a JSON object");
  simdjson::dom::element error_text;
  if (!object.at_key("error").get(error_text)) {
    std::string_view text;
    return error_answer(error_text.get_string().get(text) ? std::string_view("(unreadable error text)") : text);
  }

  ResultSet set;
  simdjson::dom::array columns;
  int64_t count;
  if (object.at_key("columns").get_array().get(columns) || object.at_key("dataset").get_array().get(set.dataset) ||
      object.at_key("count").get_int64().get(count)) {
    return bad_answer("the answer lacks one of \"columns\", \"dataset\", \"count\"");
  }
  for (simdjson::dom::element column : columns) {
    std::string_view name;
    std::string_view type;
    if (column.at_key("name").get_string().get(name) || column.at_key("type").get_string().get(type)) {
      return bad_answer("the answer has a column without name or type");
    }
    set.columns.push_back({std::string(name), std::string(type)});
  }
  int64_t rows = 0;
  for (simdjson::dom::element row : set.dataset) {
    simdjson::dom::array values;
    if (row.get_array().get(values) || values.size() != set.columns.size()) {
      return bad_answer("row " + std::to_string(rows + 1) + " does not have " + std::to_string(set.columns.size()) +
                        " values");
    }
    ++rows;
  }
  if (rows != count) {
    return bad_answer("the answer says count " + std::to_string(count) + " but has " + std::to_string(rows) + " rows");
  }
  return set;
}

Result<std::optional<Bounds>> parse_bounds(std::string& body, const TableInfo& table) {
  simdjson::dom::parser parser;
  auto set = parse_result_set(parser, body);
  if (!set.ok()) return set.error();
  const std::string& time_type = table.time_column().source_type;
  const auto& columns = set->columns;
  if (columns.size() != 3 || columns[0].type != time_type || columns[1].type != time_type ||
      columns[2].type != "LONG" || set->dataset.size() != 1) {
    return bad_answer("the min/max/count answer does not have one row of " + time_type + ", " + time_type + ", LONG");
  }
  simdjson::dom::array row = set->dataset.at(0).get_array().value_unsafe();
  int64_t count;
  if (row.at(2).get_int64().get(count)) return bad_answer("count() is not an integer");
  if (count == 0 || row.at(0).is_null() || row.at(1).is_null()) return std::optional<Bounds>();

  std::string_view min_text;
  std::string_view max_text;
  if (row.at(0).get_string().get(min_text) || row.at(1).get_string().get(max_text)) {
    return bad_answer("min()/max() are not timestamps");
  }
  auto min = parse_iso_time(min_text, table.time_unit);
  auto max = parse_iso_time(max_text, table.time_unit);
  if (!min.ok()) return bad_answer("min(): " + min.error().message);
  if (!max.ok()) return bad_answer("max(): " + max.error().message);
  return std::optional<Bounds>(Bounds{*min, *max, count});
}

Result<std::vector<Row>> parse_page(simdjson::ondemand::parser& parser, std::string& body, const TableInfo& table) {
  return PageParser(table).parse(parser, body);
}

Result<std::vector<Row>> parse_page(std::string& body, const TableInfo& table) {
  simdjson::ondemand::parser parser;
  return parse_page(parser, body, table);
}

Status check_page(const std::vector<Row>& rows, const TableInfo& table, const TimeRange& range, size_t limit) {
  if (limit > 0 && rows.size() > limit) {
    return bad_answer("the answer has " + std::to_string(rows.size()) + " rows for LIMIT " + std::to_string(limit));
  }
  int64_t previous = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!range.contains(rows[i].ts)) {
      return bad_answer("row " + std::to_string(i + 1) + " has time " + format_iso_time(rows[i].ts, table.time_unit) +
                        " outside the requested " + range.describe(table.time_unit));
    }
    if (rows[i].ts < previous)
      return bad_answer("the rows are not ordered by time (row " + std::to_string(i + 1) + ")");
    previous = rows[i].ts;
  }
  return ok_status();
}

std::string server_message(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded_body(body);
  simdjson::dom::element root;
  std::string_view text;
  if (!parser.parse(padded_body).get(root) && !root.at_key("error").get_string().get(text)) return std::string(text);
  std::string plain = trim(body.substr(0, 500));
  return body.size() > 500 ? plain + "..." : plain;
}

}  // namespace tsyncd::questdb
