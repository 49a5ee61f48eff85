#include "fakes/druid/answers.h"

#include <charconv>

#include "fakes/druid/java_text.h"

namespace tsyncd::fakes::druid_detail {

CellKind cell_kind(std::string_view sql_type, std::string_view native_type) {
  if (sql_type == "TIMESTAMP" || sql_type == "DATE") return CellKind::timestamp;
  if (sql_type == "BOOLEAN") return CellKind::boolean;
  if (native_type == "LONG") return CellKind::integer;
  if (native_type == "DOUBLE") return CellKind::float64;
  if (native_type == "FLOAT") return CellKind::float32;
  if (native_type.substr(0, 6) == "ARRAY<") return CellKind::array;
  if (native_type.substr(0, 8) == "COMPLEX<") return CellKind::complex;
  return CellKind::string;
}

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

BodyWriter::BodyWriter(ResultFormat format, bool stringify_arrays, std::string& out)
    : format_(format), stringify_arrays_(stringify_arrays), out_(out) {
  if (format_ == ResultFormat::array || format_ == ResultFormat::object) out_ += '[';
}

const std::string& BodyWriter::timestamp_text(int64_t millis) {
  if (!last_time_ || *last_time_ != millis) {
    last_time_ = millis;
    last_time_text_ = iso_millis(millis);
  }
  return last_time_text_;
}

void BodyWriter::begin_piece() {
  if (any_piece_) {
    if (format_ == ResultFormat::array || format_ == ResultFormat::object) out_ += ',';
    else if (format_ != ResultFormat::csv) out_ += '\n';
  }
  any_piece_ = true;
}

void BodyWriter::end_piece() {
  if (format_ == ResultFormat::csv) out_ += '\n';
}

void BodyWriter::header(const std::vector<OutputColumn>& columns, bool names, bool types, bool sql_types) {
  if (!names) return;
  if (format_ == ResultFormat::object || format_ == ResultFormat::object_lines) {
    begin_piece();
    out_ += '{';
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) out_ += ',';
      append_json_string(out_, columns[i].name);
      out_ += ':';
      if (!types && !sql_types) {
        out_ += "null";
        continue;
      }
      out_ += '{';
      if (types) {
        out_ += "\"type\":";
        if (columns[i].native_type.empty()) out_ += "null";
        else append_json_string(out_, columns[i].native_type);
      }
      if (sql_types) {
        if (types) out_ += ',';
        out_ += "\"sqlType\":";
        append_json_string(out_, columns[i].sql_type);
      }
      out_ += '}';
    }
    out_ += '}';
    return;
  }
  auto line = [&](auto field) {
    begin_piece();
    if (format_ == ResultFormat::csv) {
      for (size_t i = 0; i < columns.size(); ++i) {
        if (i) out_ += ',';
        append_csv_field(out_, field(columns[i]));
      }
    } else {
      out_ += '[';
      for (size_t i = 0; i < columns.size(); ++i) {
        if (i) out_ += ',';
        std::string_view v = field(columns[i]);
        if (v.empty()) out_ += "null";
        else append_json_string(out_, v);
      }
      out_ += ']';
    }
    end_piece();
  };
  line([](const OutputColumn& c) -> std::string_view { return c.name; });
  if (types) line([](const OutputColumn& c) -> std::string_view { return c.native_type; });
  if (sql_types) line([](const OutputColumn& c) -> std::string_view { return c.sql_type; });
}

void BodyWriter::json_cell(const Value& v, CellKind kind) {
  if (is_null(v)) {
    out_ += "null";
    return;
  }
  if (const int64_t* i = std::get_if<int64_t>(&v)) {
    switch (kind) {
      case CellKind::timestamp:
        out_ += '"';
        out_ += timestamp_text(*i);
        out_ += '"';
        return;
      case CellKind::boolean: out_ += *i ? "true" : "false"; return;
      case CellKind::float64: out_ += java_double(static_cast<double>(*i)); return;
      case CellKind::float32: out_ += java_float(static_cast<float>(*i)); return;
      case CellKind::integer: {
        char buf[24];
        out_.append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, *i).ptr - buf));
        return;
      }
      default: append_json_string(out_, std::to_string(*i)); return;
    }
  }
  if (const double* d = std::get_if<double>(&v)) {
    std::string text = kind == CellKind::float32 ? java_float(static_cast<float>(*d)) : java_double(*d);
    // Jackson writes NaN and the infinities as strings (WRITE_NAN_AS_STRINGS).
    if (text == "NaN" || text == "Infinity" || text == "-Infinity" || kind == CellKind::string)
      append_json_string(out_, text);
    else
      out_ += text;
    return;
  }
  const std::string& s = std::get<std::string>(v);
  if (kind == CellKind::array && !stringify_arrays_) out_ += s;
  else append_json_string(out_, s);
}

void BodyWriter::csv_cell(const Value& v, CellKind kind) {
  if (is_null(v)) return;
  if (const int64_t* i = std::get_if<int64_t>(&v)) {
    switch (kind) {
      case CellKind::timestamp: out_ += timestamp_text(*i); return;
      case CellKind::boolean: out_ += *i ? "true" : "false"; return;
      case CellKind::float64: out_ += java_double(static_cast<double>(*i)); return;
      case CellKind::float32: out_ += java_float(static_cast<float>(*i)); return;
      default: out_ += std::to_string(*i); return;
    }
  }
  if (const double* d = std::get_if<double>(&v)) {
    out_ += kind == CellKind::float32 ? java_float(static_cast<float>(*d)) : java_double(*d);
    return;
  }
  append_csv_field(out_, std::get<std::string>(v));
}

void BodyWriter::row(const std::vector<OutputColumn>& columns, const std::vector<const Value*>& cells) {
  begin_piece();
  switch (format_) {
    case ResultFormat::array:
    case ResultFormat::array_lines:
      out_ += '[';
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i) out_ += ',';
        json_cell(*cells[i], columns[i].kind);
      }
      out_ += ']';
      break;
    case ResultFormat::object:
    case ResultFormat::object_lines:
      out_ += '{';
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i) out_ += ',';
        append_json_string(out_, columns[i].name);
        out_ += ':';
        json_cell(*cells[i], columns[i].kind);
      }
      out_ += '}';
      break;
    case ResultFormat::csv: {
      const size_t start = out_.size();
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i) out_ += ',';
        csv_cell(*cells[i], columns[i].kind);
      }
      // opencsv writes a lone empty field as "" so that no data line is blank.
      if (cells.size() == 1 && out_.size() == start) out_ += "\"\"";
      break;
    }
  }
  end_piece();
}

void BodyWriter::finish(bool complete) {
  if (!complete) return;
  switch (format_) {
    case ResultFormat::array:
    case ResultFormat::object: out_ += "]\n"; break;
    case ResultFormat::array_lines:
    case ResultFormat::object_lines: out_ += "\n\n"; break;
    case ResultFormat::csv: out_ += '\n'; break;
  }
}

std::string druid_exception(std::string_view error_code, std::string_view persona, std::string_view category,
                            std::string_view message, std::string_view context_json) {
  return "{\"error\":\"druidException\",\"errorCode\":" + json_string(error_code) +
         ",\"persona\":" + json_string(persona) + ",\"category\":" + json_string(category) +
         ",\"errorMessage\":" + json_string(message) + ",\"context\":" + std::string(context_json) + "}";
}

std::string legacy_exception(std::string_view error, std::optional<std::string_view> error_class,
                             std::optional<std::string_view> host, std::string_view category,
                             std::string_view message) {
  auto opt = [](std::optional<std::string_view> v) { return v ? json_string(*v) : std::string("null"); };
  return "{\"error\":" + json_string(error) + ",\"errorClass\":" + opt(error_class) + ",\"host\":" + opt(host) +
         ",\"errorCode\":\"legacyQueryException\",\"persona\":\"OPERATOR\",\"category\":" + json_string(category) +
         ",\"errorMessage\":" + json_string(message) + ",\"context\":{\"host\":" + opt(host) +
         ",\"errorClass\":" + opt(error_class) + ",\"legacyErrorCode\":" + json_string(error) + "}}";
}

std::string http_exception(std::string_view message) {
  return "{\"error\":\"Unknown exception\",\"errorMessage\":" + json_string(message) +
         ",\"errorClass\":\"org.apache.druid.server.initialization.jetty.HttpException\",\"host\":null}";
}

std::string position_context(int line, int column, int end_line, int end_column) {
  return "{\"sourceType\":\"sql\",\"line\":\"" + std::to_string(line) + "\",\"column\":\"" + std::to_string(column) +
         "\",\"endLine\":\"" + std::to_string(end_line) + "\",\"endColumn\":\"" + std::to_string(end_column) + "\"}";
}

}  // namespace tsyncd::fakes::druid_detail
