#include <charconv>

#include "core.h"

namespace tsyncd {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's civil-date algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d;
};

Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

int digits_of(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::ms: return 3;
    case TimeUnit::us: return 6;
    case TimeUnit::ns: return 9;
  }
  return 6;
}

bool read_fixed(std::string_view s, size_t& pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

Error bad_time(std::string_view text, std::string_view why) {
  return make_error(ErrorKind::protocol,
                    "invalid timestamp '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

Result<int64_t> parse_iso_time(std::string_view text, TimeUnit unit) {
  size_t pos = 0;
  bool negative_year = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative_year = text[0] == '-';
    pos = 1;
  }
  size_t year_end = text.find('-', pos);
  if (year_end == std::string_view::npos || year_end - pos < 4 || year_end - pos > 10)
    return bad_time(text, "expected a year of 4 or more digits");
  int64_t year = 0;
  for (size_t i = pos; i < year_end; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return bad_time(text, "year is not a number");
    year = year * 10 + (c - '0');
  }
  if (negative_year) year = -year;
  pos = year_end + 1;
  unsigned month, day, hour, minute, second;
  if (!read_fixed(text, pos, 2, month) || !expect(text, pos, '-') || !read_fixed(text, pos, 2, day) ||
      !expect(text, pos, 'T') || !read_fixed(text, pos, 2, hour) || !expect(text, pos, ':') ||
      !read_fixed(text, pos, 2, minute) || !expect(text, pos, ':') || !read_fixed(text, pos, 2, second))
    return bad_time(text, "expected YYYY-MM-DDTHH:MM:SS");
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return bad_time(text, "field out of range");
  if (civil_from_days(days_from_civil(year, month, day)).d != day)
    return bad_time(text, "no such day in that month");
  int64_t fraction_ns = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    size_t n = pos - start;
    if (n == 0 || n > 9) return bad_time(text, "expected 1 to 9 fraction digits");
    for (size_t i = 0; i < 9; ++i)
      fraction_ns = fraction_ns * 10 + (i < n ? text[start + i] - '0' : 0);
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return bad_time(text, "expected a UTC time ending in 'Z'");

  const int64_t per_second = units_per_second(unit);
  const int64_t ns_per_unit = 1000000000 / per_second;
  if (fraction_ns % ns_per_unit != 0)
    return bad_time(text, "more precision than the column's unit (" + std::string(to_string(unit)) + ")");
  __int128 seconds = static_cast<__int128>(days_from_civil(year, month, day)) * 86400 + hour * 3600 +
                     minute * 60 + second;
  __int128 total = seconds * per_second + fraction_ns / ns_per_unit;
  if (total > INT64_MAX || total < INT64_MIN) return bad_time(text, "out of the 64-bit range");
  return static_cast<int64_t>(total);
}

std::string format_iso_time(int64_t value, TimeUnit unit) {
  const int64_t per_second = units_per_second(unit);
  int64_t seconds = value / per_second;
  int64_t fraction = value % per_second;
  if (fraction < 0) {
    fraction += per_second;
    seconds -= 1;
  }
  int64_t days = seconds / 86400;
  int64_t in_day = seconds % 86400;
  if (in_day < 0) {
    in_day += 86400;
    days -= 1;
  }
  Civil c = civil_from_days(days);
  char buf[64];
  int digits = digits_of(unit);
  int n;
  if (c.y >= 0 && c.y <= 9999)
    n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%0*lldZ",
                      static_cast<long long>(c.y), c.m, c.d, static_cast<long long>(in_day / 3600),
                      static_cast<long long>(in_day / 60 % 60), static_cast<long long>(in_day % 60), digits,
                      static_cast<long long>(fraction));
  else
    n = std::snprintf(buf, sizeof buf, "%s%04lld-%02u-%02uT%02lld:%02lld:%02lld.%0*lldZ", c.y < 0 ? "-" : "",
                      static_cast<long long>(c.y < 0 ? -c.y : c.y), c.m, c.d,
                      static_cast<long long>(in_day / 3600), static_cast<long long>(in_day / 60 % 60),
                      static_cast<long long>(in_day % 60), digits, static_cast<long long>(fraction));
  return std::string(buf, static_cast<size_t>(n));
}

int64_t from_nanos(int64_t nanos, TimeUnit unit) {
  int64_t div = 1000000000 / units_per_second(unit);
  int64_t q = nanos / div;
  if (nanos % div < 0) --q;
  return q;
}

int64_t now_in(TimeUnit unit) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return from_nanos(ns, unit);
}

}  // namespace tsyncd
