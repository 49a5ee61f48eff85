// The SQL and JSON tsyncd sends to Druid, and how Druid's types map onto tsyncd's.
#include "sources/druid/druid.h"

namespace tsyncd::druid {
namespace {

SqlParameter bigint(int64_t v) { return {"BIGINT", std::to_string(v)}; }

std::string select_list(const TableInfo& table) {
  std::string out;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) out += ", ";
    out += quote_identifier(table.columns[i].name);
  }
  return out;
}

const std::string& time_name(const TableInfo& table) { return table.time_column().name; }

}  // namespace

DruidQuery columns_query(const std::string& datasource) {
  return {"SELECT \"COLUMN_NAME\", \"DATA_TYPE\" FROM INFORMATION_SCHEMA.COLUMNS WHERE \"TABLE_SCHEMA\" = 'druid' "
          "AND \"TABLE_NAME\" = ? ORDER BY \"ORDINAL_POSITION\"",
          {{"VARCHAR", json_quote(datasource)}}};
}

DruidQuery typed_header_query(const std::string& datasource, const std::vector<std::string>& columns) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) sql += ", ";
    sql += quote_identifier(columns[i]);
  }
  sql += " FROM " + quote_identifier(datasource) + " LIMIT 0";
  return {sql, {}};
}

DruidQuery probe_query(const std::string& datasource) {
  return {"SELECT * FROM " + quote_identifier(datasource) + " LIMIT 0", {}};
}

DruidQuery segments_query(const std::string& datasource) {
  // Overshadowed and unused segments are listed too; only active ones hold what queries see.
  return {"SELECT \"start\", \"end\", \"version\", \"partition_num\" FROM sys.segments "
          "WHERE \"datasource\" = ? AND \"is_active\" = 1",
          {{"VARCHAR", json_quote(datasource)}}};
}

DruidQuery bounds_query(const TableInfo& table) {
  const std::string t = quote_identifier(time_name(table));
  return {"SELECT TIMESTAMP_TO_MILLIS(MIN(" + t + ")) AS \"min_ms\", TIMESTAMP_TO_MILLIS(MAX(" + t +
              ")) AS \"max_ms\", COUNT(*) AS \"row_count\" FROM " + quote_identifier(table.name),
          {}};
}

DruidQuery read_query(const TableInfo& table, const TimeRange& range, size_t limit) {
  const std::string t = quote_identifier(time_name(table));
  DruidQuery q;
  q.sql = "SELECT " + select_list(table) + " FROM " + quote_identifier(table.name) + " WHERE ";
  if (limit == 0 && range.hi_inclusive && range.lo == range.hi) {
    // One tie group: a plain streaming scan. ORDER BY would bring back Druid's limits on ordered
    // scans (section 4.3) for no gain, since every row has the same time.
    q.sql += t + " = MILLIS_TO_TIMESTAMP(?)";
    q.parameters.push_back(bigint(range.lo));
    return q;
  }
  q.sql += t + " >= MILLIS_TO_TIMESTAMP(?) AND " + t + (range.hi_inclusive ? " <= " : " < ") + "MILLIS_TO_TIMESTAMP(?)";
  q.parameters.push_back(bigint(range.lo));
  q.parameters.push_back(bigint(range.hi));
  if (limit > 0) {
    q.sql += " ORDER BY " + t + " LIMIT ?";
    q.parameters.push_back({"INTEGER", std::to_string(limit)});
  }
  return q;
}

std::string request_body(const DruidQuery& query, std::string_view query_id, int64_t timeout_ms) {
  std::string body = "{\"query\":" + json_quote(query.sql) +
                     ",\"resultFormat\":\"arrayLines\",\"header\":true,\"typesHeader\":true,\"sqlTypesHeader\":true,"
                     "\"context\":{\"sqlTimeZone\":\"UTC\",\"sqlQueryId\":" +
                     json_quote(query_id) + ",\"timeout\":" + std::to_string(timeout_ms) + "}";
  if (!query.parameters.empty()) {
    body += ",\"parameters\":[";
    for (size_t i = 0; i < query.parameters.size(); ++i) {
      if (i) body += ',';
      body += "{\"type\":" + json_quote(query.parameters[i].type) + ",\"value\":" + query.parameters[i].json_value + "}";
    }
    body += ']';
  }
  body += '}';
  return body;
}

ColumnType column_type(std::string_view sql_type, std::string_view native_type) {
  if (native_type.substr(0, 6) == "ARRAY<" || sql_type == "ARRAY") return ColumnType::json;
  if (native_type == "COMPLEX<json>" || sql_type == "COMPLEX<json>") return ColumnType::json;
  if (sql_type == "TIMESTAMP" || sql_type == "DATE") return ColumnType::timestamp_ms;
  if (sql_type == "BOOLEAN") return ColumnType::boolean;
  if (sql_type == "BIGINT" || sql_type == "INTEGER" || sql_type == "SMALLINT" || sql_type == "TINYINT")
    return ColumnType::int64;
  if (sql_type == "FLOAT" || sql_type == "REAL" || sql_type == "DOUBLE" || sql_type == "DECIMAL") {
    // The native type says how Druid holds the value (REAL and DECIMAL are doubles, fixture 069).
    if (native_type == "FLOAT") return ColumnType::float32;
    if (native_type == "DOUBLE") return ColumnType::float64;
    return sql_type == "FLOAT" ? ColumnType::float32 : ColumnType::float64;
  }
  // VARCHAR and CHAR (multi-value strings too), OTHER/COMPLEX (sketches: their JSON text), and any
  // type this version does not know, whose values are kept as the text Druid sent.
  return ColumnType::text;
}

}  // namespace tsyncd::druid
