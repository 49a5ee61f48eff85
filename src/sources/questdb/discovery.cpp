// Discovery: QuestDB type names onto ColumnTypes, and table_columns() answers onto TableInfo with
// the time column and natural key chosen (configuration first, then the table's own metadata).
#include <algorithm>
#include <array>
#include <utility>

#include "sources/questdb/questdb.h"

namespace tsyncd::questdb {
namespace {

constexpr std::array<std::pair<std::string_view, ColumnType>, 19> kScalarTypes = {{
    {"BOOLEAN", ColumnType::boolean},
    {"BYTE", ColumnType::int16},
    {"SHORT", ColumnType::int16},
    {"INT", ColumnType::int32},
    {"LONG", ColumnType::int64},
    {"CHAR", ColumnType::text},
    {"DATE", ColumnType::timestamp_ms},
    {"TIMESTAMP", ColumnType::timestamp_us},
    {"TIMESTAMP_NS", ColumnType::timestamp_ns},
    {"FLOAT", ColumnType::float32},
    {"DOUBLE", ColumnType::float64},
    {"STRING", ColumnType::text},
    {"VARCHAR", ColumnType::text},
    {"SYMBOL", ColumnType::text},
    {"LONG256", ColumnType::text},
    {"UUID", ColumnType::uuid},
    {"IPv4", ColumnType::ipv4},
    {"BINARY", ColumnType::blob},
    {"INTERVAL", ColumnType::text},  // expression-only in QuestDB 9 (F:109), mapped for completeness
}};

std::optional<ColumnType> scalar_type(std::string_view name) {
  for (const auto& [questdb_name, type] : kScalarTypes) {
    if (questdb_name == name) return type;
  }
  return std::nullopt;
}

// "DECIMAL(p,s)" -> {p, s}
std::optional<std::pair<int, int>> decimal_precision_scale(std::string_view type) {
  if (type.substr(0, 8) != "DECIMAL(" || type.back() != ')') return std::nullopt;
  std::vector<std::string> parts = split_list(type.substr(8, type.size() - 9));
  if (parts.size() != 2) return std::nullopt;
  try {
    return std::pair(std::stoi(parts[0]), std::stoi(parts[1]));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<TimeUnit> time_unit_of(std::string_view questdb_type) {
  if (questdb_type == "DATE") return TimeUnit::ms;
  if (questdb_type == "TIMESTAMP") return TimeUnit::us;
  if (questdb_type == "TIMESTAMP_NS") return TimeUnit::ns;
  return std::nullopt;
}

std::string skip_reason(std::string_view questdb_type) {
  if (questdb_type == "LONG128") {
    return "QuestDB's /exec cannot render LONG128 values (any result with one is a 400 'column type not supported')";
  }
  return "type " + std::string(questdb_type) + " is not known to this version of tsyncd";
}

// " (did you mean 'ts'?)" when a column name is close to `wanted`.
std::string suggestion(std::string_view wanted, const std::vector<std::string>& names) {
  const std::string* best = nullptr;
  size_t best_distance = 4;
  for (const std::string& name : names) {
    size_t distance = edit_distance(wanted, name);
    if (distance < best_distance) {
      best = &name;
      best_distance = distance;
    }
  }
  return best == nullptr ? "" : " (did you mean '" + *best + "'?)";
}

struct SourceColumn {
  std::string name;
  std::string type;
  bool designated = false;
  bool upsert_key = false;
};

Result<std::vector<SourceColumn>> read_columns(std::string& body) {
  simdjson::dom::parser parser;
  auto set = parse_result_set(parser, body);
  if (!set.ok()) return set.error();

  auto index_of = [&](std::string_view name) -> std::optional<size_t> {
    for (size_t i = 0; i < set->columns.size(); ++i) {
      if (set->columns[i].name == name) return i;
    }
    return std::nullopt;
  };
  auto name_at = index_of("column");
  auto type_at = index_of("type");
  auto designated_at = index_of("designated");
  auto upsert_key_at = index_of("upsertKey");  // absent on servers without DEDUP
  if (!name_at || !type_at || !designated_at) {
    return make_error(ErrorKind::protocol,
                      "the table_columns() answer lacks one of its columns 'column', 'type', 'designated'");
  }

  std::vector<SourceColumn> columns;
  for (simdjson::dom::element row_element : set->dataset) {
    simdjson::dom::array values;
    std::vector<simdjson::dom::element> row;
    if (row_element.get_array().get(values))
      return make_error(ErrorKind::protocol, "a table_columns() row is not an array");
    for (simdjson::dom::element value : values) row.push_back(value);
    SourceColumn column;
    std::string_view name;
    std::string_view type;
    bool failed = row[*name_at].get_string().get(name) || row[*type_at].get_string().get(type) ||
                  row[*designated_at].get_bool().get(column.designated) ||
                  (upsert_key_at && row[*upsert_key_at].get_bool().get(column.upsert_key));
    if (failed) {
      return make_error(ErrorKind::protocol, "a table_columns() row has values of unexpected types");
    }
    column.name = name;
    column.type = type;
    columns.push_back(std::move(column));
  }
  return columns;
}

}  // namespace

std::optional<Column> map_type(std::string_view column_name, std::string_view questdb_type) {
  Column column;
  column.name = column_name;
  column.source_type = questdb_type;
  if (auto type = scalar_type(questdb_type)) {
    column.type = *type;
  } else if (questdb_type.substr(0, 8) == "GEOHASH(" && questdb_type.back() == ')') {
    column.type = ColumnType::text;
  } else if (auto decimal = decimal_precision_scale(questdb_type)) {
    column.type = ColumnType::decimal;
    column.precision = decimal->first;
    column.scale = decimal->second;
  } else if (questdb_type.size() > 2 && questdb_type.substr(questdb_type.size() - 2) == "[]") {
    std::string_view element = questdb_type;
    while (element.size() > 2 && element.substr(element.size() - 2) == "[]") element.remove_suffix(2);
    if (!scalar_type(element)) return std::nullopt;
    column.type = ColumnType::json;
  } else {
    return std::nullopt;
  }
  return column;
}

Result<TableInfo> parse_table_columns(std::string& body, const std::string& table, const SourceOptions& options) {
  auto source_columns = read_columns(body);
  if (!source_columns.ok()) return source_columns.error();

  TableInfo info;
  info.name = table;
  std::vector<std::string> all_names;
  std::optional<std::string> designated;
  std::vector<std::string> upsert_keys;
  for (const SourceColumn& source : *source_columns) {
    all_names.push_back(source.name);
    if (source.designated) designated = source.name;
    if (source.upsert_key) upsert_keys.push_back(source.name);
    if (auto column = map_type(source.name, source.type)) {
      info.columns.push_back(std::move(*column));
    } else {
      info.skipped_columns.push_back(source.name + " (" + source.type + "): " + skip_reason(source.type));
    }
  }

  // The time column: configured, else the designated timestamp.
  std::string time_name;
  if (options.timestamp_column) {
    time_name = *options.timestamp_column;
    auto index = info.find(time_name);
    if (!index) {
      return make_error(ErrorKind::config, "configuration.timestamp_column: table '" + table + "' has no column '" +
                                               time_name + "'" + suggestion(time_name, all_names));
    }
    const std::string& type = info.columns[*index].source_type;
    if (!time_unit_of(type)) {
      return make_error(ErrorKind::config, "configuration.timestamp_column: column '" + time_name + "' of table '" +
                                               table + "' is " + type + "; it must be TIMESTAMP, TIMESTAMP_NS or DATE");
    }
  } else if (designated) {
    time_name = *designated;
  } else {
    return make_error(ErrorKind::config, "table '" + table +
                                             "' has no designated timestamp; set configuration.timestamp_column to "
                                             "one of its TIMESTAMP, TIMESTAMP_NS or DATE columns");
  }
  auto time_index = info.find(time_name);
  auto unit = time_index ? time_unit_of(info.columns[*time_index].source_type) : std::nullopt;
  if (!unit) {
    return make_error(ErrorKind::protocol, "the designated timestamp '" + time_name + "' of table '" + table +
                                               "' is not a readable TIMESTAMP column");
  }
  info.time_index = *time_index;
  info.time_unit = *unit;

  // The natural key: configured for this table or for "*", else DEDUP UPSERT KEYS.
  auto configured = options.key_columns.find(table);
  if (configured == options.key_columns.end()) configured = options.key_columns.find("*");
  if (configured != options.key_columns.end()) {
    for (const std::string& name : configured->second) {
      auto index = info.find(name);
      if (!index) {
        bool exists = std::find(all_names.begin(), all_names.end(), name) != all_names.end();
        return make_error(
            ErrorKind::config,
            "configuration.key_columns: " +
                (exists ? "column '" + name + "' of table '" + table + "' cannot be read through /exec"
                        : "table '" + table + "' has no column '" + name + "'" + suggestion(name, all_names)));
      }
      if (std::find(info.key_indexes.begin(), info.key_indexes.end(), *index) == info.key_indexes.end()) {
        info.key_indexes.push_back(*index);
      }
    }
  } else {
    // A key with an unreadable column would make distinct rows collide: identify rows by value then.
    std::vector<size_t> indexes;
    for (const std::string& name : upsert_keys) {
      if (auto index = info.find(name)) indexes.push_back(*index);
    }
    if (indexes.size() == upsert_keys.size()) info.key_indexes = std::move(indexes);
  }
  return info;
}

}  // namespace tsyncd::questdb
