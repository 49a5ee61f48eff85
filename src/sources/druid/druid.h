// druid: the Source for Apache Druid's SQL API (POST /druid/v2/sql), shared/apis/druid.md 9.
//
// Every request is a JSON body with typed `?` parameters (timestamps as BIGINT epoch millis through
// MILLIS_TO_TIMESTAMP(?), never formatted literals), every identifier double-quoted, the result
// format `arrayLines` with all three header rows, sqlTimeZone UTC and a fresh sqlQueryId.
//
// Why arrayLines: its only terminator is an empty line, and since JSON never contains a raw line
// feed, "the body ends with \n\n" is an exact completeness test that needs no parsing; every other
// line is one self-contained JSON array, so rows are parsed one by one with a small buffer and
// checked for arity as they come. A 200 whose body was cut (Druid reports errors after the first
// row only by stopping the stream, section 2.3) never ends with "\n\n" and is retried, never
// returned.
//
// This header is private to src/sources (the factory and the tests include it).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/sources.h"

namespace tsyncd {

// A Source reading Druid datasources; options.type is "druid". A configured timestamp_column
// other than __time is a config error (Druid always syncs on __time).
Result<std::unique_ptr<Source>> make_druid_source(const SourceOptions& options);

namespace druid {

// Largest LIMIT of a time-ordered scan that Druid always serves (maxRowsQueuedForOrdering).
inline constexpr size_t kMaxPageRows = 100000;

// ---- requests ----


struct SqlParameter {
  std::string type;        // Avatica SQL type name: BIGINT, INTEGER, VARCHAR
  std::string json_value;  // the value as JSON text: 1700000000000, "wiki"
};

struct DruidQuery {
  std::string sql;
  std::vector<SqlParameter> parameters;
};

// INFORMATION_SCHEMA.COLUMNS of one datasource: COLUMN_NAME, DATA_TYPE in ordinal order.
DruidQuery columns_query(const std::string& datasource);
// `SELECT <columns> FROM <ds> LIMIT 0`: header rows only, with native types (ARRAY<LONG>, COMPLEX<json>).
DruidQuery typed_header_query(const std::string& datasource, const std::vector<std::string>& columns);
// `SELECT * FROM <ds> LIMIT 0`: asks the datasource itself, for when INFORMATION_SCHEMA (which lists
// only what the user may read, from metadata that can lag) does not know it.
DruidQuery probe_query(const std::string& datasource);
// The active segments of a datasource (published and not overshadowed, or served by a realtime
// task): start, end, version, partition_num.
DruidQuery segments_query(const std::string& datasource);
// Min and max __time as epoch millis, and the row count.
DruidQuery bounds_query(const TableInfo& table);
// The rows of `range`: ordered by __time with LIMIT when limit > 0; `__time = t` without ORDER BY
// or LIMIT for a whole tie group (limit 0, lo == hi inclusive); an unordered range scan for other
// limit-0 ranges (the caller sorts).
DruidQuery read_query(const TableInfo& table, const TimeRange& range, size_t limit);

// The JSON request body; `timeout_ms` goes to context.timeout.
std::string request_body(const DruidQuery& query, std::string_view query_id, int64_t timeout_ms);

// ---- types ----

// The tsyncd type of a Druid column from its SQL type (INFORMATION_SCHEMA DATA_TYPE or the
// sqlTypesHeader) and native type (typesHeader; empty when unknown).
ColumnType column_type(std::string_view sql_type, std::string_view native_type);

// ---- responses ----

struct ResultHeader {
  std::vector<std::string> names;
  std::vector<std::string> native_types;  // "" where Druid sent null (unknown native type)
  std::vector<std::string> sql_types;
};

// A complete arrayLines body with its three header rows. open() checks the framing of the whole
// body before anything is parsed; rows() parses and converts every row or fails as a whole.
class ArrayLinesBody {
 public:
  static Result<ArrayLinesBody> open(std::string body);

  ArrayLinesBody(ArrayLinesBody&&) = default;
  ArrayLinesBody& operator=(ArrayLinesBody&&) = default;
  ArrayLinesBody(const ArrayLinesBody&) = delete;
  ArrayLinesBody& operator=(const ArrayLinesBody&) = delete;

  const ResultHeader& header() const { return header_; }
  // Number of row lines (known from the framing alone).
  size_t row_count() const { return row_count_; }

  // Converts row values to `types` (one per header column); the column at `time_index` must be an
  // exact ISO-8601 UTC timestamp and becomes Row::ts in milliseconds.
  Result<std::vector<Row>> rows(const std::vector<ColumnType>& types, std::optional<size_t> time_index) const;

 private:
  ArrayLinesBody() = default;

  std::string body_;  // the whole answer, as received
  size_t rows_begin_ = 0;
  size_t rows_end_ = 0;  // one past the last row line's '\n'
  size_t row_count_ = 0;
  ResultHeader header_;
};

// A 200 can still be incomplete: X-Druid-Response-Context listing missingSegments (or marked
// truncated, which can hide them) means some segments were not read. A protocol error, retried.
Status check_response_context(std::string_view header_value);

// A non-200 answer, classified (druid.md 5 and 9.9). `datasource` names the table in messages.
struct Failure {
  Error error;
  // 500 UNCATEGORIZED/DEFENSIVE: a server fault or a user error such as "/ by zero"; retried a
  // bounded number of times, then reported as a query error.
  bool maybe_user_error = false;
};
Failure classify_failure(const HttpOptions& http, const HttpResponse& response, std::string_view datasource);

}  // namespace druid
}  // namespace tsyncd
