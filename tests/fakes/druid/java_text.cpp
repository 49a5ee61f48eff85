#include "fakes/druid/java_text.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/core.h"

namespace tsyncd::fakes::druid_detail {
namespace {

// Significant digits (no trailing zeros) and the exponent of the first digit: value = d.ddd x 10^exp.
struct Decimal {
  std::string digits;
  int exponent = 0;
};

// Splits to_chars' scientific output "1.2345e+18" into digits and exponent.
Decimal split_scientific(std::string_view text) {
  Decimal d;
  size_t e = text.find('e');
  for (char c : text.substr(0, e))
    if (c >= '0' && c <= '9') d.digits += c;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(), d.exponent);
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

// Java's choice of digits: the shortest decimal that rounds to the value; when that has a single
// digit, the closest decimal of at most two digits (Double.MIN_VALUE is "4.9E-324", not "5E-324").
template <class T>
Decimal java_digits(T value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  Decimal shortest = split_scientific(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
  if (shortest.digits.size() > 1) return shortest;
  res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific, 1);
  return split_scientific(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
}

std::string java_layout(bool negative, const Decimal& d) {
  std::string out = negative ? "-" : "";
  const int n = static_cast<int>(d.digits.size());
  if (d.exponent >= -3 && d.exponent < 7) {
    if (d.exponent >= 0) {
      const int int_digits = d.exponent + 1;
      for (int i = 0; i < int_digits; ++i) out += i < n ? d.digits[static_cast<size_t>(i)] : '0';
      out += '.';
      out += n > int_digits ? d.digits.substr(static_cast<size_t>(int_digits)) : "0";
    } else {
      out += "0.";
      out.append(static_cast<size_t>(-d.exponent - 1), '0');
      out += d.digits;
    }
    return out;
  }
  out += d.digits[0];
  out += '.';
  out += n > 1 ? d.digits.substr(1) : "0";
  out += 'E';
  out += std::to_string(d.exponent);
  return out;
}

template <class T>
std::string java_number(T value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  return java_layout(value < 0, java_digits(std::fabs(value)));
}

}  // namespace

std::string java_double(double value) { return java_number(value); }
std::string java_float(float value) { return java_number(value); }

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '"';
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

void append_csv_field(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string iso_millis(int64_t millis) {
  // Years 0000-9999 are written here directly (the fake renders millions of them); others, with
  // their sign and extra digits, by core's formatter.
  constexpr int64_t kYear0 = -62167219200000;   // 0000-01-01T00:00:00.000Z
  constexpr int64_t kYear10000 = 253402300800000;
  if (millis < kYear0 || millis >= kYear10000) return format_iso_time(millis, TimeUnit::ms);
  int64_t days = millis / 86400000;
  int64_t in_day = millis % 86400000;
  if (in_day < 0) {
    in_day += 86400000;
    days -= 1;
  }
  // Civil date from days since 1970-01-01 (proleptic Gregorian, eras of 400 years).
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&](size_t at, int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, in_day / 3600000, 2);
  put(14, in_day / 60000 % 60, 2);
  put(17, in_day / 1000 % 60, 2);
  put(20, in_day % 1000, 3);
  return out;
}

}  // namespace tsyncd::fakes::druid_detail
