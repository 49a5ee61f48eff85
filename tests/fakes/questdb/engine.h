// Runs a parsed statement against the tables and streams QuestDB's /exec JSON answer.
//
// Work is split in two so that every error is known before the first byte of a 200 is sent:
// plan() resolves names, converts literals and picks the rows (binary search on the designated
// timestamp, so a page of a 1M-row table costs O(log n + page)); render() only formats.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "fakes/questdb/framing.h"
#include "fakes/questdb/sql.h"
#include "fakes/questdb/table.h"

namespace tsyncd::fakes::qdb {

struct Database {
  std::map<std::string, std::unique_ptr<Table>> tables;  // by lower-case name: names are case-insensitive

  const Table* find(std::string_view name) const;
  Table* find(std::string_view name);
};

// One output column of a result.
struct OutputColumn {
  enum class Kind { cell, base64, length, constant, min, max, count };
  Kind kind = Kind::cell;
  std::string name;
  std::string json_column;  // its entry in "columns"
  int column = -1;          // source column
  int64_t number = 0;       // base64 cap or constant
};

struct Plan {
  const Table* table = nullptr;  // null for table_columns() results and constants
  std::vector<OutputColumn> columns;
  int timestamp_index = -1;
  bool aggregate = false;  // one row computed over `rows`
  // The selected rows in output order: rows[i] when listed, else begin + i; reversed when descending.
  std::vector<size_t> rows;
  bool listed = false;
  size_t begin = 0, end = 0;
  bool descending = false;
  size_t skip = 0, take = 0;  // LIMIT applied to the output positions
  bool literal = false;                   // table_columns(): the dataset is literal_rows
  std::vector<std::string> literal_rows;  // already JSON

  size_t selected() const { return listed ? rows.size() : end - begin; }
  size_t row_at(size_t position) const;
};

std::variant<Plan, SqlError> plan(const Statement& statement, const Database& db);

// Writes {"query":...,"columns":[...],"timestamp":N,"dataset":[...],"count":N}.
void render(const Plan& plan, const std::string& sql, ChunkedWriter& out);

// QuestDB's position: a count of UTF-16 units, as Java counts characters.
size_t utf16_position(const std::string& sql, size_t byte_offset);

// Parses a QuestDB timestamp literal ('2024-01-03T22:00:00.000000Z', '...Z' optional, ' ' for 'T',
// only the hour, only the date, '+01:00' offsets, 1..9 fraction digits cut to the unit).
Result<int64_t> parse_time_literal(std::string_view text, TimeUnit unit);

}  // namespace tsyncd::fakes::qdb
