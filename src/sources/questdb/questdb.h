// sources/questdb (private to this folder and its tests): the QuestDB source. It reads through
// `GET /exec` with the three SQL shapes below, and parses every answer strictly: a page is
// returned only when the whole body is one complete JSON object whose columns, row widths and
// count match what was asked (apis/questdb.md has the facts this relies on).
#pragma once

#include <simdjson.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/sources.h"

namespace tsyncd {

// The Source for options.type == "questdb".
Result<std::unique_ptr<Source>> make_questdb_source(const SourceOptions& options);

namespace questdb {

// ---------------------------------------------------------------------------------------------
// SQL (sql.cpp). Identifiers are always double-quoted; column lists are separated by ", ".

// BINARY values are read as base64 text capped at this many bytes, plus their real length:
// /exec renders BINARY itself as `[]`.
inline constexpr int64_t kMaxBinaryBytes = 16 * 1024 * 1024;
// Suffix of the length column selected next to a BINARY column `c`: `length("c") "c__len"`.
inline constexpr std::string_view kBinaryLengthSuffix = "__len";

// table_columns('<table>'); the caller has rejected names containing a single quote.
std::string table_columns_sql(std::string_view table);
// SELECT min("<tcol>"), max("<tcol>"), count() FROM "<table>"
std::string bounds_sql(const TableInfo& table);
// SELECT <columns> FROM "<table>" WHERE "<tcol>" >= '<lo>' AND "<tcol>" <= '<hi>' ORDER BY "<tcol>" LIMIT <n>
// ('<' for an exclusive hi; no LIMIT when limit is 0).
std::string read_sql(const TableInfo& table, const TimeRange& range, size_t limit);
// "/exec?query=<percent-encoded sql>"
std::string exec_target(std::string_view sql);

// ---------------------------------------------------------------------------------------------
// Types and discovery (discovery.cpp)

// The Column for a QuestDB type name as table_columns() spells it ("DOUBLE[][]", "DECIMAL(18,4)",
// "GEOHASH(6c)", "IPv4", ...); nullopt when /exec cannot deliver values of that type (LONG128,
// types this version does not know).
std::optional<Column> map_type(std::string_view column_name, std::string_view questdb_type);

// The TableInfo from a table_columns('<table>') answer, read by column name (QuestDB versions
// differ in which columns that function returns and in what order). Applies
// options.timestamp_column and options.key_columns; their problems are `config` errors.
Result<TableInfo> parse_table_columns(std::string& body, const std::string& table, const SourceOptions& options);

// ---------------------------------------------------------------------------------------------
// Answers (response.cpp). Bodies are taken by reference because simdjson needs padding after the
// text; they are not otherwise changed.

// A validated result set parsed with simdjson's DOM API (for the small discovery/bounds answers).
struct ResultSet {
  struct Column {
    std::string name;
    std::string type;  // "ARRAY" for arrays
  };
  std::vector<Column> columns;
  simdjson::dom::array dataset;  // every row an array of columns.size() values; lives in the parser
};
// Checks that `body` is one complete /exec result object without "error", that every dataset row
// has as many values as there are columns and that "count" equals the number of rows.
Result<ResultSet> parse_result_set(simdjson::dom::parser& parser, std::string& body);

// The answer to bounds_sql(table); nullopt for an empty table.
Result<std::optional<Bounds>> parse_bounds(std::string& body, const TableInfo& table);

// The rows of an answer to read_sql(table, ...), converted once into Values (see ColumnType).
// The answer's columns must be exactly the ones read_sql asked for, in order: anything else
// means the table changed since discovery and is a `protocol` error (the sync re-discovers).
Result<std::vector<Row>> parse_page(std::string& body, const TableInfo& table);
// The same with a parser kept between pages: its buffers, sized for the largest page so far, are
// reused instead of being allocated (and page-faulted in) for every page.
Result<std::vector<Row>> parse_page(simdjson::ondemand::parser& parser, std::string& body, const TableInfo& table);

// Checks what parse_page cannot know: every row's time is inside `range`, rows are ordered by
// time, and there are at most `limit` of them (0: no limit).
Status check_page(const std::vector<Row>& rows, const TableInfo& table, const TimeRange& range, size_t limit);

// QuestDB's own message in an error answer: the "error" text of a JSON body, else the body.
std::string server_message(std::string_view body);

}  // namespace questdb
}  // namespace tsyncd
