#include "sources/questdb/questdb.h"

namespace tsyncd::questdb {

std::string table_columns_sql(std::string_view table) { return "table_columns('" + std::string(table) + "')"; }

std::string bounds_sql(const TableInfo& table) {
  std::string time = quote_identifier(table.time_column().name);
  return "SELECT min(" + time + "), max(" + time + "), count() FROM " + quote_identifier(table.name);
}

std::string read_sql(const TableInfo& table, const TimeRange& range, size_t limit) {
  std::vector<std::string> select;
  for (const Column& column : table.columns) {
    std::string name = quote_identifier(column.name);
    if (column.source_type == "BINARY") {
      select.push_back("base64(" + name + ", " + std::to_string(kMaxBinaryBytes) + ") " + name);
      select.push_back("length(" + name + ") " + quote_identifier(column.name + std::string(kBinaryLengthSuffix)));
    } else {
      select.push_back(name);
    }
  }
  std::string time = quote_identifier(table.time_column().name);
  std::string sql = "SELECT " + join(select, ", ") + " FROM " + quote_identifier(table.name) + " WHERE " + time +
                    " >= '" + format_iso_time(range.lo, table.time_unit) + "' AND " + time +
                    (range.hi_inclusive ? " <= '" : " < '") + format_iso_time(range.hi, table.time_unit) +
                    "' ORDER BY " + time;
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  return sql;
}

std::string exec_target(std::string_view sql) { return "/exec?query=" + url_encode(sql); }

}  // namespace tsyncd::questdb
