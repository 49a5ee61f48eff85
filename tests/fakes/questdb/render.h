// How QuestDB 9.3.5 writes values into /exec JSON (questdb.md §3), as append-to-buffer functions
// because a benchmark renders millions of them.
//
// DOUBLE: the shortest digits that read back as the same double, laid out like Java's
// Double.toString: plain notation for 1e-3 <= |x| < 1e7 with at least one fraction digit
// ("100.0", "0.30000000000000004"), otherwise d.dddE<exp> ("1.0E7", "1.0E-4", "5.0E-324").
// FLOAT: the same layout over the float's own digits, as JDK 17's Float.toString computes them:
// the shortest float digits ("3.4028235E38"), except that a whole-number float below 2^62 prints
// its integer digits, of which only floor((e - 25) * log10 2) trailing ones are dropped for a
// binary exponent e > 26 ("1.23456792E8" where the shortest would be "1.2345679E8"). Both rules
// reproduce every FLOAT/DOUBLE of fixtures 100 and 110.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/core.h"

namespace tsyncd::fakes::qdb {

// Finite values only: NaN and infinities render as null, which is the caller's business.
void append_double(std::string& out, double value);
void append_float(std::string& out, float value);

// A JSON string literal: \" \\ \n \r \t, \u00XX for other C0 controls, everything else raw.
void append_json_string(std::string& out, std::string_view text);
void append_utf8(std::string& out, uint32_t code_point);
void append_ipv4(std::string& out, uint32_t address);
std::string base64(std::string_view bytes);

// Quoted ISO-8601 timestamps with the unit's fraction digits. Remembers the last date because
// consecutive rows nearly always share it.
class TimeFormatter {
 public:
  explicit TimeFormatter(TimeUnit unit);
  void append(std::string& out, int64_t value);

 private:
  TimeUnit unit_;
  int64_t per_second_;
  int digits_;
  int64_t cached_day_;
  std::string date_;  // "2024-01-01T" of cached_day_
};

}  // namespace tsyncd::fakes::qdb
