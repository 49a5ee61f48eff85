#include "core.h"

namespace tsyncd {

std::string_view to_string(ColumnType type) {
  switch (type) {
    case ColumnType::boolean: return "boolean";
    case ColumnType::int16: return "int16";
    case ColumnType::int32: return "int32";
    case ColumnType::int64: return "int64";
    case ColumnType::float32: return "float32";
    case ColumnType::float64: return "float64";
    case ColumnType::text: return "text";
    case ColumnType::timestamp_ms: return "timestamp_ms";
    case ColumnType::timestamp_us: return "timestamp_us";
    case ColumnType::timestamp_ns: return "timestamp_ns";
    case ColumnType::decimal: return "decimal";
    case ColumnType::uuid: return "uuid";
    case ColumnType::ipv4: return "ipv4";
    case ColumnType::json: return "json";
    case ColumnType::blob: return "blob";
  }
  return "unknown";
}

std::string_view to_string(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::ms: return "ms";
    case TimeUnit::us: return "us";
    case TimeUnit::ns: return "ns";
  }
  return "unknown";
}

int64_t units_per_second(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::ms: return 1000;
    case TimeUnit::us: return 1000000;
    case TimeUnit::ns: return 1000000000;
  }
  return 1;
}

std::optional<size_t> TableInfo::find(std::string_view column_name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == column_name) return i;
  return std::nullopt;
}

std::string TimeRange::describe(TimeUnit unit) const {
  return "[" + format_iso_time(lo, unit) + ", " + format_iso_time(hi, unit) + (hi_inclusive ? "]" : ")");
}

}  // namespace tsyncd
