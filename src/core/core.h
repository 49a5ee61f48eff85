// core: the vocabulary every other module speaks.
//
// Errors travel as values (Result<T>) up to the one place that can report them; exceptions are
// caught at module edges and never cross a thread or the event loop. Timestamps travel as integers
// in the source's native unit (Druid: ms, QuestDB DATE: ms, TIMESTAMP: us, TIMESTAMP_NS: ns); they
// are never doubles and never rounded. Values keep the exact text the source sent for every type
// whose destination form is text (timestamps, decimals, UUIDs, arrays), so nothing is converted twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tsyncd {

// ---------------------------------------------------------------------------------------------
// Errors

// The kind decides who handles an error: the HTTP layer retries `transient`, the sync fails the
// table for `query`/`protocol`/`not_found`, the scheduler fails the whole connector for `auth`.
enum class ErrorKind {
  config,       // invalid configuration; names the key path
  auth,         // 401/403: credentials or permissions; fails the connector
  query,        // the source rejected our query (400 and the like); fails the table
  not_found,    // the table/datasource does not exist on the source
  transient,    // connection refused/reset, timeout, 429, 5xx: worth retrying
  protocol,     // malformed/truncated/unexpected response (retried like transient by the HTTP layer)
  destination,  // the destination database failed
  state,        // the state store failed
  cancelled,    // shutdown was requested
  internal,     // a bug: an invariant did not hold
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;  // complete sentence-ish text naming the thing that failed; never a secret
  // For transient errors the server asked us to wait (HTTP 429 Retry-After); 0 when it did not.
  std::chrono::milliseconds retry_after{0};

  // Prefixes context ("table trades: ") while keeping the kind.
  Error with_context(std::string_view context) const;
  // Retrying the same request may succeed.
  bool retryable() const { return kind == ErrorKind::transient || kind == ErrorKind::protocol; }
};

Error make_error(ErrorKind kind, std::string message);

// A minimal expected<T, Error> (std::expected is C++23).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;
inline Status ok_status() { return {}; }

// ---------------------------------------------------------------------------------------------
// Types and values

// The destination-facing type of a column. Each source maps its own type names onto these;
// each destination maps these onto its column types (the table is in README.md).
enum class ColumnType {
  boolean,       // Value: int64 0/1
  int16,         // Value: int64
  int32,         // Value: int64
  int64,         // Value: int64
  float32,       // Value: double holding the float32 exactly
  float64,       // Value: double
  text,          // Value: string (UTF-8)
  timestamp_ms,  // Value: string, ISO-8601 UTC exactly as the source rendered it (3 fraction digits)
  timestamp_us,  // Value: string, ISO-8601 UTC, 6 fraction digits
  timestamp_ns,  // Value: string, ISO-8601 UTC, 9 fraction digits
  decimal,       // Value: string, exact decimal text
  uuid,          // Value: string
  ipv4,          // Value: string
  json,          // Value: string holding JSON text (arrays, nested values)
  blob,          // Value: string holding raw bytes
};

std::string_view to_string(ColumnType type);

enum class TimeUnit { ms, us, ns };

std::string_view to_string(TimeUnit unit);
// Integer units per second: 1e3, 1e6, 1e9.
int64_t units_per_second(TimeUnit unit);

// NULL, an integer, a double or bytes/text. Booleans are integers; see ColumnType for which
// alternative a column's values take.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }

struct Row {
  int64_t ts = 0;             // the row's sync time in the table's native TimeUnit
  std::vector<Value> values;  // one per TableInfo::columns, same order
  // Row identity, filled by src/sync before a row reaches a destination (architecture 4):
  int64_t key = 0;  // 64-bit hash of the natural key columns, or of every value
  int64_t dup = 0;  // 0..n-1 among rows with the same (ts, key) in one read of that timestamp
};

struct Column {
  std::string name;         // exactly as the source names it
  std::string source_type;  // the source's own type name, e.g. "GEOHASH(6c)", "DECIMAL(18,4)"
  ColumnType type = ColumnType::text;
  // Extra precision/scale for decimals (0 when unknown).
  int precision = 0;
  int scale = 0;
};

// What a source knows about one table, as discovered at the start of each sync.
struct TableInfo {
  std::string name;                 // the source table / datasource name
  std::vector<Column> columns;      // the columns that are read, in read order
  size_t time_index = 0;            // index into columns of the sync time column
  TimeUnit time_unit = TimeUnit::us;
  std::vector<size_t> key_indexes;  // natural key columns (indexes into columns); empty: none
  // Source columns that cannot be read through the API (e.g. QuestDB LONG128), with the reason;
  // logged once per table, never stored as made-up values.
  std::vector<std::string> skipped_columns;

  const Column& time_column() const { return columns[time_index]; }
  std::optional<size_t> find(std::string_view column_name) const;
};

// A range of native timestamps; lo is always inclusive, hi inclusive or exclusive as stated.
struct TimeRange {
  int64_t lo = 0;
  int64_t hi = 0;
  bool hi_inclusive = false;

  bool contains(int64_t ts) const { return ts >= lo && (hi_inclusive ? ts <= hi : ts < hi); }
  bool empty() const { return hi_inclusive ? hi < lo : hi <= lo; }
  std::string describe(TimeUnit unit) const;  // "[2024-01-01T00:00:00.000000Z, ...)"
};

// Min and max of a table's time column; absent when the table has no rows.
struct Bounds {
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  int64_t row_count = -1;  // -1 when the source does not say
};

// ---------------------------------------------------------------------------------------------
// Time

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (fraction 0..9 digits, years 0001..9999, also a
// leading '-' or more than 4 year digits for Druid's extremes) into an integer count of `unit`
// since the Unix epoch. Fraction digits beyond the unit's precision must be zero: a value that
// cannot be represented exactly is an error, never rounded.
Result<int64_t> parse_iso_time(std::string_view text, TimeUnit unit);

// Formats with exactly the unit's digits: ms -> 3, us -> 6, ns -> 9, always 'Z'.
std::string format_iso_time(int64_t value, TimeUnit unit);

// Wall clock now in the given unit.
int64_t now_in(TimeUnit unit);

// Converts a count of nanoseconds into `unit`, rounding toward negative infinity.
int64_t from_nanos(int64_t nanos, TimeUnit unit);

// ---------------------------------------------------------------------------------------------
// Durations: "500ms", "30s", "5m", "2h", "1d", also "0" and "0s".

using Duration = std::chrono::milliseconds;
Result<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);  // the largest exact unit: "90s", "2h", "1500ms"

// ---------------------------------------------------------------------------------------------
// Small string helpers used across modules.

std::vector<std::string> split_list(std::string_view text, char sep = ',');  // trims, drops empties
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view text);
// Levenshtein distance; used for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// A double-quoted SQL identifier with every '"' doubled: the one quoting rule QuestDB, Druid,
// SQLite and PostgreSQL share. Names are quoted, never rewritten.
std::string quote_identifier(std::string_view name);
// JSON string literal with quotes; escapes control characters, quotes and backslashes.
std::string json_quote(std::string_view text);

}  // namespace tsyncd
