// The destination column type of each ColumnType (README "Types" table). Everything whose exact
// form is text (timestamps with all their fraction digits, decimals, UUIDs, JSON) is stored as the
// source's text, so no destination conversion can round it.
#include "destinations/destinations.h"

namespace tsyncd {

std::string sqlite_column_type(const Column& column) {
  switch (column.type) {
    case ColumnType::boolean:
    case ColumnType::int16:
    case ColumnType::int32:
    case ColumnType::int64:
      return "INTEGER";
    case ColumnType::float32:
    case ColumnType::float64:
      return "REAL";
    case ColumnType::text:
    case ColumnType::timestamp_ms:
    case ColumnType::timestamp_us:
    case ColumnType::timestamp_ns:
    case ColumnType::decimal:
    case ColumnType::uuid:
    case ColumnType::ipv4:
    case ColumnType::json:
      return "TEXT";
    case ColumnType::blob:
      return "BLOB";
  }
  return "TEXT";
}

std::string postgres_column_type(const Column& column) {
  switch (column.type) {
    case ColumnType::boolean: return "boolean";
    case ColumnType::int16: return "smallint";
    case ColumnType::int32: return "integer";
    case ColumnType::int64: return "bigint";
    case ColumnType::float32: return "real";
    case ColumnType::float64: return "double precision";
    case ColumnType::text: return "text";
    case ColumnType::timestamp_ms:
    case ColumnType::timestamp_us:
      return "timestamptz";
    // timestamptz holds microseconds; nine fraction digits would be rounded, so keep the text.
    case ColumnType::timestamp_ns: return "text";
    case ColumnType::decimal:
      if (column.precision <= 0) return "numeric";
      return "numeric(" + std::to_string(column.precision) + "," + std::to_string(column.scale) + ")";
    case ColumnType::uuid: return "uuid";
    case ColumnType::ipv4: return "inet";
    // json, not jsonb: jsonb keeps numbers as numeric (no -0.0) and reorders and dedups object
    // keys, so it would not hold the value the source sent.
    case ColumnType::json: return "json";
    case ColumnType::blob: return "bytea";
  }
  return "text";
}

}  // namespace tsyncd
