#include "destinations/postgres/copy_format.h"

#include <charconv>
#include <cmath>

namespace tsyncd::postgres {
namespace {

// Shortest round-trip text; a float32 column gets the float's own shortest form so that the
// server's float4 input reads exactly that float.
void append_float(std::string& out, double value, ColumnType type) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
  } else {
    char buffer[64];
    const auto result = type == ColumnType::float32
                            ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value))
                            : std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
  }
}

void append_escaped(std::string& out, std::string_view text) {
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char* escape = nullptr;
    switch (text[i]) {
      case '\\':
        escape = "\\\\";
        break;
      case '\t':
        escape = "\\t";
        break;
      case '\n':
        escape = "\\n";
        break;
      case '\r':
        escape = "\\r";
        break;
      default:
        continue;
    }
    out.append(text.substr(start, i - start));
    out += escape;
    start = i + 1;
  }
  out.append(text.substr(start));
}

// bytea hex input is \x followed by two hex digits per byte; the backslash itself is escaped
// for COPY.
void append_bytea(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\\\x";
  for (unsigned char byte : bytes) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
}

bool is_timestamptz(ColumnType type) {
  return type == ColumnType::timestamp_ms || type == ColumnType::timestamp_us;
}

}  // namespace

void append_copy_int(std::string& out, int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

bool append_copy_field(std::string& out, const Value& value, ColumnType type) {
  if (const auto* integer = std::get_if<int64_t>(&value)) {
    if (type == ColumnType::boolean)
      out += *integer != 0 ? 't' : 'f';
    else
      append_copy_int(out, *integer);
  } else if (const auto* real = std::get_if<double>(&value)) {
    append_float(out, *real, type);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    if (type == ColumnType::blob) {
      append_bytea(out, *text);
      return true;
    }
    if (text->find('\0') != std::string::npos) return false;
    if (is_timestamptz(type))
      append_escaped(out, postgres_timestamp_input(*text));
    else
      append_escaped(out, *text);
  } else {
    out += "\\N";
  }
  return true;
}

std::string postgres_timestamp_input(std::string_view iso) {
  const bool negative = !iso.empty() && iso.front() == '-';
  const size_t digits_start = negative ? 1 : 0;
  const size_t year_end = iso.find('-', digits_start);
  int64_t year = 0;
  if (year_end == std::string_view::npos ||
      std::from_chars(iso.data() + digits_start, iso.data() + year_end, year).ptr != iso.data() + year_end)
    return std::string(iso);  // not ISO: let the server report it
  if (negative) year = -year;
  if (year >= 1) return std::string(iso);
  // Astronomical year 0 is 1 BC, -1 is 2 BC, ...
  std::string bc_year = std::to_string(1 - year);
  if (bc_year.size() < 4) bc_year.insert(0, 4 - bc_year.size(), '0');
  return bc_year + std::string(iso.substr(year_end)) + " BC";
}

}  // namespace tsyncd::postgres
