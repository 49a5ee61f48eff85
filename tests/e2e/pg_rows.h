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
//   bytea                            -> "b:<hex>"
//   anything else (text, json,       -> "t:<the server's output text>" (json prints exactly the
//   numeric, uuid, inet, ...)           text it was given; inet prints a single address without "/32")
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
// a libpq connection string without the password. A table that does not exist (yet) has no rows,
// as in sqlite_rows. The error names the table or the column.
Result<std::vector<std::string>> pg_rows(const std::string& dsn, const std::string& password,
                                         const std::string& schema, const std::string& table,
                                         const std::vector<PgColumn>& columns);

// count(*) of schema.table; 0 while the table does not exist yet.
Result<int64_t> pg_count(const std::string& dsn, const std::string& password, const std::string& schema,
                         const std::string& table);

// The first column of every row `sql` returns, as the server's text (NULL as "null").
Result<std::vector<std::string>> pg_values(const std::string& dsn, const std::string& password, const std::string& sql);

}  // namespace tsyncd::e2e
