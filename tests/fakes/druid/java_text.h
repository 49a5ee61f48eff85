// java_text: how Druid's JVM turns values into text, so the fake answers byte for byte what a real
// Broker sends (druid.md section 3): Java's Double.toString / Float.toString for numbers, Jackson's
// escaping for JSON strings, opencsv's quoting for csv fields, Joda's ISO form for timestamps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tsyncd::fakes::druid_detail {

// Java 19+ Double.toString: the shortest decimal that rounds to the value (with at least two
// digits considered when one would do), plain between 1e-3 and 1e7 ("10.5", "0.001"),
// computerized scientific otherwise ("1.0E7", "1.5E300", "4.9E-324"); "NaN", "Infinity", "-0.0".
std::string java_double(double value);
// Java 19+ Float.toString of the float32 value: "0.1", "3.4E38".
std::string java_float(float value);

// Jackson's JSON string literal: escapes '"', '\\', and C0 controls (\b \t \n \f \r, else \u00XX
// with uppercase hex); everything else, including '/' and non-ASCII UTF-8, is written as is.
void append_json_string(std::string& out, std::string_view text);

// opencsv field: quoted when it contains ',', '"', '\n' or '\r', with '"' doubled.
void append_csv_field(std::string& out, std::string_view text);

// Joda ISODateTimeFormat.dateTime() in UTC: "2015-09-12T00:47:53.259Z", years outside 0..9999
// with their sign and all digits ("-292275055-05-16T16:47:04.192Z").
std::string iso_millis(int64_t millis);

}  // namespace tsyncd::fakes::druid_detail
