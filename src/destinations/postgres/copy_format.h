// Values in the text format of COPY ... FROM STDIN, the fastest way into PostgreSQL that keeps
// every value exact: fields separated by tabs, rows ended by newlines, \N for NULL, and backslash
// escapes for backslash, tab, newline and carriage return. The server parses each field with the
// column type's own input function, so exactness is about the text we produce:
//   - doubles in the shortest form that reads back to the same bits ("NaN", "Infinity", "-0");
//   - timestamps as the source's ISO text (years before 1 rewritten to PostgreSQL's "BC" form);
//   - bytea as \\x followed by hex digits;
//   - decimals, UUIDs, IPv4 and JSON as the source's text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/core.h"

namespace tsyncd::postgres {

// Appends one field (without separator) holding `value` for a column of `type`. Returns false,
// appending nothing useful, when the value is text containing a NUL byte: PostgreSQL text types
// cannot store one, and dropping it silently would change the value.
bool append_copy_field(std::string& out, const Value& value, ColumnType type);

void append_copy_int(std::string& out, int64_t value);

// An ISO-8601 timestamp as timestamptz input. PostgreSQL rejects year 0000 and negative years,
// which ISO (and Druid) use for 1 BC and earlier: "-0001-..." becomes "0002-... BC".
std::string postgres_timestamp_input(std::string_view iso);

}  // namespace tsyncd::postgres
