// Reads a PostgreSQL table back as the canonical cell strings of harness.h's sqlite_rows, so the
// PostgreSQL end-to-end suite states its expectations in the same form as the SQLite one.
//
// Each column is rendered from its PostgreSQL type, exactly:
//   smallint, integer, bigint        -> "i:<int>"
//   boolean                          -> "i:0" / "i:1"
//   real, double precision           -> "r:<IEEE bits of the double>" (float8send: no text
//                                       round trip; a real widens to double exactly)
//   timestamp with time zone         -> "t:YYYY-MM-DDTHH:MM:SS.<digits>Z" in UTC, with as many
//                                       fraction digits as the source had (PgColumn::fraction_digits);
//                                       a value with more precision than that keeps all 6 digits,
//                                       so it shows up as a mismatch instead of being cut
//   jsonb, json                      -> "t:<canonical_json(text)>": jsonb prints numbers in its
//                                       own decimal form ("1.0E-7" comes back "0.00000010") and
//                                       adds spaces, so both sides are compared in a canonical form
//   bytea                            -> "b:<hex>"
//   anything else (text, numeric,    -> "t:<the server's output text>" (inet prints a single
//   uuid, inet, ...)                    address without "/32")
//   NULL                             -> "null"
#pragma once

#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd::e2e {

struct PgColumn {
  PgColumn(const char* column_name, int digits = 6) : name(column_name), fraction_digits(digits) {}
  PgColumn(std::string column_name, int digits = 6) : name(std::move(column_name)), fraction_digits(digits) {}

  std::string name;
  // timestamptz only: 3 for a column from a millisecond source (QuestDB DATE), 6 from microseconds.
  int fraction_digits = 6;
};

// Every row of schema.table, one canonical string per row (cells joined by '|'), sorted. `dsn` is
// a libpq connection string without the password. The error names the table or the column.
Result<std::vector<std::string>> pg_rows(const std::string& dsn, const std::string& password,
                                         const std::string& schema, const std::string& table,
                                         const std::vector<PgColumn>& columns);

// count(*) of schema.table; 0 while the table does not exist yet.
Result<int64_t> pg_count(const std::string& dsn, const std::string& password, const std::string& schema,
                         const std::string& table);

// JSON text in a canonical form for comparing arrays of doubles: no whitespace outside strings,
// and every number rewritten as the shortest text of the double it parses to, so numbers compare
// by their IEEE bits ("[1.0, -0.0, 1.0E-7]" becomes "[1,-0,1e-07]"; "[0.0]" stays different from
// "[-0.0]"). Numbers a double cannot hold (beyond its range) are kept as they are.
std::string canonical_json(const std::string& json);

}  // namespace tsyncd::e2e
