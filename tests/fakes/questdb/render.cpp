#include "fakes/questdb/render.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace tsyncd::fakes::qdb {
namespace {

// Lays out significant digits the way Java's Double.toString/Float.toString do. `digits` has no
// leading zeros; the value is d.ddd x 10^exp10.
void append_java_layout(std::string& out, bool negative, std::string_view digits, int exp10) {
  while (digits.size() > 1 && digits.back() == '0') digits.remove_suffix(1);
  if (negative) out += '-';
  if (exp10 >= -3 && exp10 < 7) {
    if (exp10 >= 0) {
      size_t whole = static_cast<size_t>(exp10) + 1;
      if (digits.size() <= whole) {
        out += digits;
        out.append(whole - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, whole);
        out += '.';
        out += digits.substr(whole);
      }
    } else {
      out += "0.";
      out.append(static_cast<size_t>(-exp10 - 1), '0');
      out += digits;
    }
    return;
  }
  out += digits[0];
  out += '.';
  if (digits.size() > 1) out += digits.substr(1);
  else out += '0';
  out += 'E';
  char buf[8];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, exp10);
  out.append(buf, p);
}

// Splits to_chars' shortest scientific form ("1.2345e+08") into digits and exponent.
template <class T>
void append_shortest(std::string& out, T value) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, std::fabs(value), std::chars_format::scientific);
  std::string_view text(buf, static_cast<size_t>(p - buf));
  size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e))
    if (c != '.') digits += c;
  int exp10 = 0;
  std::string_view exp_text = text.substr(e + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  append_java_layout(out, std::signbit(value), digits, exp10);
}

bool append_zero(std::string& out, double value) {
  if (value != 0) return false;
  out += std::signbit(value) ? "-0.0" : "0.0";
  return true;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

void append_double(std::string& out, double value) {
  if (!append_zero(out, value)) append_shortest(out, value);
}

void append_float(std::string& out, float value) {
  if (append_zero(out, value)) return;
  float magnitude = std::fabs(value);
  int exponent = std::ilogb(magnitude);  // the binary exponent: 2^e <= |value| < 2^(e+1)
  if (std::floor(magnitude) != magnitude || exponent > 62) {
    append_shortest(out, value);
    return;
  }
  // JDK 17's whole-number path: a float has 24 significant bits, so for exponents above 25 some
  // trailing decimal digits cannot be known and are rounded away.
  auto whole = static_cast<int64_t>(magnitude);
  int insignificant = exponent > 26 ? (exponent - 25) * 30103 / 100000 : 0;
  int64_t scale = 1;
  for (int i = 0; i < insignificant; ++i) scale *= 10;
  int64_t kept = whole / scale;
  if (whole % scale >= scale / 2 && insignificant > 0) ++kept;
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, kept);
  std::string_view digits(buf, static_cast<size_t>(p - buf));
  append_java_layout(out, value < 0, digits, static_cast<int>(digits.size()) - 1 + insignificant);
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  size_t clean = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + clean, i - clean);
    clean = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + clean, text.size() - clean);
  out += '"';
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void append_ipv4(std::string& out, uint32_t a) {
  out += '"';
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((a >> shift) & 0xFF);
    if (shift > 0) out += '.';
  }
  out += '"';
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

TimeFormatter::TimeFormatter(TimeUnit unit)
    : unit_(unit),
      per_second_(units_per_second(unit)),
      digits_(unit == TimeUnit::ms ? 3 : unit == TimeUnit::us ? 6 : 9),
      cached_day_(std::numeric_limits<int64_t>::min()) {}

void TimeFormatter::append(std::string& out, int64_t value) {
  int64_t seconds = value / per_second_;
  int64_t fraction = value % per_second_;
  if (fraction < 0) {
    fraction += per_second_;
    --seconds;
  }
  int64_t day = seconds / 86400;
  int64_t in_day = seconds % 86400;
  if (in_day < 0) {
    in_day += 86400;
    --day;
  }
  if (day != cached_day_) {
    std::string iso = format_iso_time(day * 86400 * per_second_, unit_);
    date_ = iso.substr(0, iso.find('T') + 1);
    cached_day_ = day;
  }
  char buf[32];
  char* p = buf;
  auto two = [&](int64_t v) {
    *p++ = static_cast<char>('0' + v / 10);
    *p++ = static_cast<char>('0' + v % 10);
  };
  two(in_day / 3600);
  *p++ = ':';
  two(in_day / 60 % 60);
  *p++ = ':';
  two(in_day % 60);
  *p++ = '.';
  for (int i = digits_ - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  p += digits_;
  *p++ = 'Z';
  *p++ = '"';
  out += '"';
  out += date_;
  out.append(buf, static_cast<size_t>(p - buf));
}

}  // namespace tsyncd::fakes::qdb
