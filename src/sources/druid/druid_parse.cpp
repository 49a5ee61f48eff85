// Reading Druid's arrayLines answers: framing first (nothing is parsed from a body that is not
// complete), then one simdjson On-Demand pass per row line. Numbers are converted from their exact
// JSON text with std::from_chars (int64, double, float32), never through a double first.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include <simdjson.h>

#include "sources/druid/druid.h"

namespace tsyncd::druid {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kHeaderRows = 3;

Error bad(std::string message) { return make_error(ErrorKind::protocol, "Druid answer: " + std::move(message)); }

std::string excerpt(std::string_view text) {
  constexpr size_t kMax = 80;
  return text.size() <= kMax ? std::string(text) : std::string(text.substr(0, kMax)) + "...";
}

// simdjson reads up to SIMDJSON_PADDING bytes past a document. Each line is copied into this
// buffer (cheap: a line is small and hot in cache) rather than re-allocating a whole padded copy
// of a body that may be hundreds of megabytes.
class LineBuffer {
 public:
  simdjson::padded_string_view load(std::string_view line) {
    if (buffer_.size() < line.size() + simdjson::SIMDJSON_PADDING)
      buffer_.resize(2 * line.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buffer_.data(), line.data(), line.size());
    // Blank padding: bytes of an earlier, longer line must not look like the end of this one.
    std::memset(buffer_.data() + line.size(), ' ', simdjson::SIMDJSON_PADDING);
    return simdjson::padded_string_view(buffer_.data(), line.size(), buffer_.size());
  }

 private:
  std::string buffer_;
};

// After the root array was iterated: nothing may follow it on the line.
bool at_end(od::document& doc) { return doc.current_location().error() == simdjson::OUT_OF_BOUNDS; }

// Parses one header line: a JSON array of strings (nulls allowed for unknown native types).
Result<std::vector<std::string>> header_line(od::parser& parser, LineBuffer& buffer, std::string_view line,
                                             const char* what) {
  std::vector<std::string> out;
  od::document doc;
  od::array array;
  auto view = buffer.load(line);
  if (parser.iterate(view).get(doc) || doc.get_array().get(array))
    return bad(std::string("the ") + what + " header row is not a JSON array: " + excerpt(view));
  for (auto field : array) {
    od::value v;
    if (field.get(v)) return bad(std::string("malformed ") + what + " header row: " + excerpt(view));
    bool null = false;
    if (!v.is_null().get(null) && null) {
      out.emplace_back();
      continue;
    }
    std::string_view s;
    if (v.get_string().get(s)) return bad(std::string("the ") + what + " header row holds a non-string: " + excerpt(view));
    out.emplace_back(s);
  }
  if (!at_end(doc)) return bad(std::string("trailing bytes after the ") + what + " header row");
  return out;
}

std::string_view trim_token(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' || t.back() == '\n')) t.remove_suffix(1);
  return t;
}

// The special double values Jackson writes as strings.
bool special_double(std::string_view s, double& out) {
  if (s == "NaN") out = std::numeric_limits<double>::quiet_NaN();
  else if (s == "Infinity") out = std::numeric_limits<double>::infinity();
  else if (s == "-Infinity") out = -std::numeric_limits<double>::infinity();
  else return false;
  return true;
}

template <class T>
bool exact_number(std::string_view text, T& out) {
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// Converts one JSON value to `type`; empty string on success, else what was wrong.
std::string convert(od::value& v, ColumnType type, Value& out) {
  od::json_type jt;
  if (v.type().get(jt)) return "malformed value";
  switch (jt) {
    case od::json_type::null: {
      bool null = false;
      if (v.is_null().get(null) || !null) return "malformed null";
      out = std::monostate{};
      return {};
    }
    case od::json_type::number: {
      const std::string_view raw = trim_token(v.raw_json_token());
      switch (type) {
        case ColumnType::boolean:
        case ColumnType::int16:
        case ColumnType::int32:
        case ColumnType::int64: {
          int64_t i = 0;
          if (!exact_number(raw, i)) return "expected a 64-bit integer, got " + std::string(raw);
          out = i;
          return {};
        }
        case ColumnType::float64: {
          double d = 0;
          if (!exact_number(raw, d)) return "expected a double, got " + std::string(raw);
          out = d;
          return {};
        }
        case ColumnType::float32: {
          float f = 0;
          if (!exact_number(raw, f)) return "expected a float, got " + std::string(raw);
          out = static_cast<double>(f);
          return {};
        }
        case ColumnType::timestamp_ms:
        case ColumnType::timestamp_us:
        case ColumnType::timestamp_ns: return "expected an ISO-8601 timestamp, got the number " + std::string(raw);
        default: out = std::string(raw); return {};
      }
    }
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) return "malformed string";
      switch (type) {
        case ColumnType::float64:
        case ColumnType::float32: {
          double d = 0;
          if (!special_double(s, d)) return "expected a number, got the string \"" + excerpt(s) + "\"";
          out = d;
          return {};
        }
        case ColumnType::boolean:
        case ColumnType::int16:
        case ColumnType::int32:
        case ColumnType::int64: return "expected an integer, got the string \"" + excerpt(s) + "\"";
        default: out = std::string(s); return {};
      }
    }
    case od::json_type::boolean: {
      bool b = false;
      if (v.get_bool().get(b)) return "malformed boolean";
      if (type == ColumnType::boolean || type == ColumnType::int64 || type == ColumnType::int32 ||
          type == ColumnType::int16)
        out = int64_t{b ? 1 : 0};
      else if (type == ColumnType::text || type == ColumnType::json)
        out = std::string(b ? "true" : "false");
      else
        return std::string("unexpected boolean ") + (b ? "true" : "false");
      return {};
    }
    case od::json_type::array: {
      // A real array (sqlStringifyArrays=false): keep its JSON text.
      od::array a;
      std::string_view raw;
      if (v.get_array().get(a) || a.raw_json().get(raw)) return "malformed array";
      if (type != ColumnType::json && type != ColumnType::text) return "unexpected array";
      out = std::string(trim_token(raw));
      return {};
    }
    case od::json_type::object: {
      od::object o;
      std::string_view raw;
      if (v.get_object().get(o) || o.raw_json().get(raw)) return "malformed object";
      if (type != ColumnType::json && type != ColumnType::text) return "unexpected object";
      out = std::string(trim_token(raw));
      return {};
    }
  }
  return "unknown JSON value";
}

}  // namespace

Result<ArrayLinesBody> ArrayLinesBody::open(std::string body) {
  // The terminator first: a cut body is the common failure and must never be parsed.
  if (body.size() < 2 || body.compare(body.size() - 2, 2, "\n\n") != 0)
    return bad("incomplete answer: " + std::to_string(body.size()) +
               " bytes without the final empty line (the query failed or the connection was cut while streaming)");
  ArrayLinesBody out;
  out.body_ = std::move(body);

  od::parser parser;
  LineBuffer buffer;
  size_t pos = 0;
  std::vector<std::string>* rows[kHeaderRows] = {&out.header_.names, &out.header_.native_types,
                                                 &out.header_.sql_types};
  const char* names[kHeaderRows] = {"names", "native types", "SQL types"};
  const size_t last = out.body_.size() - 1;  // the final empty line's '\n'
  for (size_t h = 0; h < kHeaderRows; ++h) {
    const size_t end = out.body_.find('\n', pos);
    if (end >= last || end == pos)
      return bad("the answer has " + std::to_string(h) + " of its 3 header rows (names, native and SQL types)");
    auto line = header_line(parser, buffer, std::string_view(out.body_).substr(pos, end - pos), names[h]);
    if (!line) return line.error();
    *rows[h] = std::move(*line);
    pos = end + 1;
  }
  const size_t n = out.header_.names.size();
  if (out.header_.native_types.size() != n || out.header_.sql_types.size() != n)
    return bad("header rows of different lengths (" + std::to_string(n) + ", " +
               std::to_string(out.header_.native_types.size()) + ", " + std::to_string(out.header_.sql_types.size()) +
               ")");
  out.rows_begin_ = pos;
  out.rows_end_ = last;
  // Every row line must be non-empty: an empty line can only be the terminator.
  const char* data = out.body_.data();
  for (size_t at = pos; at < last;) {
    const char* nl = static_cast<const char*>(std::memchr(data + at, '\n', last - at));
    const size_t end = nl ? static_cast<size_t>(nl - data) : last;
    if (end == at || end == last) return bad("an empty line inside the answer, before its end");
    ++out.row_count_;
    at = end + 1;
  }
  return out;
}

Result<std::vector<Row>> ArrayLinesBody::rows(const std::vector<ColumnType>& types,
                                              std::optional<size_t> time_index) const {
  const size_t width = header_.names.size();
  if (types.size() != width)
    return make_error(ErrorKind::internal, "Druid answer has " + std::to_string(width) + " columns, " +
                                               std::to_string(types.size()) + " expected");
  std::vector<Row> out;
  out.reserve(row_count_);
  od::parser parser;
  LineBuffer buffer;
  const char* data = body_.data();
  size_t number = 0;
  for (size_t at = rows_begin_; at < rows_end_; ++number) {
    const size_t end = static_cast<size_t>(static_cast<const char*>(std::memchr(data + at, '\n', rows_end_ - at)) - data);
    auto view = buffer.load(std::string_view(data + at, end - at));
    at = end + 1;
    auto row_error = [&](const std::string& what) {
      return bad("row " + std::to_string(number + 1) + ": " + what + " in " + excerpt(view));
    };
    od::document doc;
    od::array array;
    if (parser.iterate(view).get(doc) || doc.get_array().get(array)) return row_error("not a JSON array");
    Row row;
    row.values.resize(width);
    size_t i = 0;
    for (auto field : array) {
      od::value v;
      if (field.get(v)) return row_error("malformed JSON");
      if (i == width) return row_error("more than " + std::to_string(width) + " values");
      std::string problem = convert(v, types[i], row.values[i]);
      if (!problem.empty()) return row_error("column '" + header_.names[i] + "': " + problem);
      ++i;
    }
    if (i != width) return row_error(std::to_string(i) + " values instead of " + std::to_string(width));
    if (!at_end(doc)) return row_error("trailing bytes after the row");
    if (time_index) {
      const std::string* text = std::get_if<std::string>(&row.values[*time_index]);
      if (!text) return row_error("column '" + header_.names[*time_index] + "' is not a timestamp");
      auto ts = parse_iso_time(*text, TimeUnit::ms);
      if (!ts) return row_error("column '" + header_.names[*time_index] + "': " + ts.error().message);
      row.ts = *ts;
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace tsyncd::druid
