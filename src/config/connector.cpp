#include "config/connector.h"

#include <algorithm>

namespace tsyncd::config_detail {

namespace {

using namespace std::chrono_literals;

enum class SourceType { questdb, druid, unknown };

constexpr std::string_view kPageSizeNote =
    "pages are capped at 100000 rows, Druid's ordered-scan limit (maxRowsQueuedForOrdering)";

// Connection keys every source type accepts in "configuration".
const std::vector<std::string_view> kCommonConnectionKeys = {
    "host",    "port",       "username",    "password", "password_file", "tls",
    "ca_file", "tls_verify", "key_columns", "timeout",  "batch_size"};
const std::vector<std::string_view> kConnectorKeys = {
    "name", "type", "sync_every", "lookback", "settle", "page_size", "configuration"};
const std::vector<std::string_view> kScheduleKeys = {"sync_every", "lookback", "settle",
                                                     "page_size"};

// The connector name is a PostgreSQL schema and the prefix of SQLite tables "<connector>__<table>".
// Cut at the first "__", such a table name must give back exactly one (connector, table) pair:
// a name containing "__" or ending in '_' would not ("a_" + "__" + "b" reads as "a" + "__" + "_b").
void check_name(const std::string& name, const std::string& path, Problems& problems) {
  bool allowed = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  if (!allowed) {
    problems.add(path,
                 "expected letters, digits, '_' and '-' only (the name becomes a PostgreSQL "
                 "schema and an SQLite table prefix), got " +
                     json_quote(name));
  } else if (name.find("__") != std::string::npos || name.back() == '_') {
    problems.add(path, json_quote(name) +
                           " contains \"__\" or ends in '_': SQLite destination tables are named "
                           "<connector>__<table>, so such a name could make two connector/table "
                           "pairs share one table");
  } else if (name.size() > 63) {
    problems.add(path, "is longer than 63 characters, PostgreSQL's limit for a schema name");
  }
}

void check_host(const std::string& host, const std::string& path, Problems& problems) {
  if (host.find("://") != std::string::npos) {
    problems.add(path, "expected a host name or address without a scheme, got " + json_quote(host) +
                           " (use \"tls\": true for HTTPS)");
  } else if (host.empty() || std::any_of(host.begin(), host.end(), [](char c) {
               return c == '/' || std::isspace(static_cast<unsigned char>(c));
             })) {
    problems.add(path, "expected a host name or IP address, got " + json_quote(host));
  }
}

// key_columns: one column list for every table ("*"), or an object of table -> column list.
void read_key_columns(ObjectReader& configuration, ConnectorConfig& connector, bool tables_known) {
  auto value = configuration.get("key_columns");
  if (!value) return;
  Problems& problems = configuration.problems();
  std::string path = configuration.path_of("key_columns");
  simdjson::dom::object per_table;
  if (value->get_object().get(per_table)) {
    if (!value->is_string() && !value->is_array()) {
      problems.add(path,
                   "expected a comma-separated string or an array of columns for every "
                   "table, or an object of table -> columns, got " +
                       describe(*value));
      return;
    }
    if (auto columns = read_list(*value, path, problems, "column"))
      connector.key_columns["*"] = std::move(*columns);
    return;
  }
  for (auto [table, columns_value] : per_table) {
    std::string table_path = member_path(path, table);
    bool known = table == "*" || std::find(connector.tables.begin(), connector.tables.end(),
                                           table) != connector.tables.end();
    if (tables_known && !known) {
      problems.add(table_path,
                   "is not one of this connector's tables (" + join(connector.tables, ", ") + ")");
      continue;
    }
    if (auto columns = read_list(columns_value, table_path, problems, "column"))
      connector.key_columns[std::string(table)] = std::move(*columns);
  }
}

// Reads "configuration" into `connector`; returns the seed's batch_size when given.
std::optional<int64_t> read_connection(ObjectReader& in, SourceType type,
                                       ConnectorConfig& connector, const FilePlaces& places) {
  Problems& problems = in.problems();
  std::vector<std::string_view> known = kCommonConnectionKeys;
  std::map<std::string_view, std::string> hints;
  for (std::string_view key : kScheduleKeys)
    hints[key] = "belongs on the connector (next to \"configuration\") or in \"defaults\"";
  hints["name"] = hints["type"] = "belongs on the connector, next to \"configuration\"";
  std::string_view list_key;
  if (type == SourceType::questdb) {
    list_key = "tables";
    known.insert(known.end(), {"tables", "timestamp_column"});
    hints["datasources"] = "is a Druid key; a QuestDB connector lists its tables in \"tables\"";
  } else if (type == SourceType::druid) {
    list_key = "datasources";
    known.push_back("datasources");
    hints["tables"] =
        "is a QuestDB key; a Druid connector lists its datasources in \"datasources\"";
    hints["timestamp_column"] = "is not a Druid key; Druid connectors always sync on __time";
  } else {
    known.insert(known.end(), {"tables", "datasources", "timestamp_column"});
  }
  in.check_keys(known, hints);

  bool druid = type == SourceType::druid;
  connector.host = in.string("host").value_or("localhost");
  if (in.has("host")) check_host(connector.host, in.path_of("host"), problems);
  connector.port = static_cast<int>(in.integer("port", 1, 65535).value_or(druid ? 8888 : 9000));
  connector.tls = in.boolean("tls").value_or(druid);
  connector.tls_verify = in.boolean("tls_verify").value_or(true);
  if (auto ca_file = in.string("ca_file")) {
    connector.ca_file = resolve_path(*ca_file, places);
    if (ca_file->empty())
      problems.add(in.path_of("ca_file"), "expected a file path, got \"\"");
    else if (check_readable_file(in.path_of("ca_file"), connector.ca_file, problems) &&
             !connector.tls)
      problems.add(in.path_of("ca_file"), "is only used with \"tls\": true");
  }
  if (auto timeout = in.duration("timeout", 1s, 1h)) connector.timeout = *timeout;

  connector.username = in.string("username").value_or("");
  if (in.has("password") && in.has("password_file")) {
    problems.add(in.path_of("password_file"),
                 "set either \"password\" or \"password_file\", not both");
  } else if (auto name = in.string("password_file")) {
    connector.password =
        read_secret_file(in.path_of("password_file"), *name, places, problems).value_or("");
  } else {
    connector.password = in.string("password", Shown::type_only).value_or("");
  }
  if (!connector.password.empty() && connector.username.empty())
    problems.add(in.path_of("username"), "required when a password is given (HTTP Basic auth)");

  bool tables_known = false;
  if (!list_key.empty()) {
    std::string example =
        type == SourceType::questdb ? "\"sensor_data,market_ticks\"" : "\"wikipedia\"";
    if (in.require(list_key, "comma-separated names, e.g. " + example)) {
      if (auto names = in.list(list_key, type == SourceType::questdb ? "table" : "datasource")) {
        connector.tables = std::move(*names);
        tables_known = true;
      }
    }
  }
  if (auto column = in.string("timestamp_column")) {
    if (column->empty())
      problems.add(in.path_of("timestamp_column"), "expected a column name, got \"\"");
    else
      connector.timestamp_column = *column;
  }
  read_key_columns(in, connector, tables_known);
  return in.integer("batch_size", 1, kMaxPageSize, kPageSizeNote);
}

}  // namespace

Schedule read_schedule(ObjectReader& object) {
  Schedule schedule;
  schedule.sync_every = object.duration("sync_every", 1s);
  schedule.lookback = object.duration("lookback", 0s);
  schedule.settle = object.duration("settle", 0s);
  schedule.page_size = object.integer("page_size", 1, kMaxPageSize, kPageSizeNote);
  return schedule;
}

ConnectorConfig read_connector(ObjectReader& in, const Schedule& defaults,
                               const FilePlaces& places) {
  Problems& problems = in.problems();
  std::map<std::string_view, std::string> hints;
  for (std::string_view key : kCommonConnectionKeys) hints[key] = "belongs in \"configuration\"";
  for (std::string_view key : {"tables", "datasources", "timestamp_column"})
    hints[key] = "belongs in \"configuration\"";
  in.check_keys(kConnectorKeys, hints);

  ConnectorConfig connector;
  if (in.require("name", "a unique name of letters, digits, '_' and '-'")) {
    if (auto name = in.string("name")) {
      check_name(*name, in.path_of("name"), problems);
      connector.name = *name;
    }
  }
  SourceType type = SourceType::unknown;
  if (in.require("type", "\"questdb\" or \"druid\"")) {
    if (auto name = in.string("type")) {
      if (*name == "questdb")
        type = SourceType::questdb;
      else if (*name == "druid")
        type = SourceType::druid;
      else
        problems.add(in.path_of("type"),
                     "expected \"questdb\" or \"druid\", got " + json_quote(*name));
      connector.type = *name;
    }
  }

  Schedule own = read_schedule(in);
  std::optional<int64_t> batch_size;
  if (in.require("configuration", "an object with the connection keys: host, port, tables...")) {
    if (auto configuration = in.object("configuration"))
      batch_size = read_connection(*configuration, type, connector, places);
  }

  connector.sync_every = own.sync_every.value_or(defaults.sync_every.value_or(1min));
  Duration type_lookback = type == SourceType::druid ? Duration(24h) : Duration(0);
  connector.lookback = own.lookback.value_or(defaults.lookback.value_or(type_lookback));
  connector.settle = own.settle.value_or(defaults.settle.value_or(0s));
  // The seed's batch_size is this connector's page size; it only conflicts with a page_size
  // written on the same connector ("defaults" are meant to be overridden).
  if (batch_size && own.page_size && *batch_size != *own.page_size) {
    problems.add(in.path_of("configuration") + ".batch_size",
                 std::to_string(*batch_size) + " conflicts with " + in.path_of("page_size") + " " +
                     std::to_string(*own.page_size) + " (both set the page size; keep one)");
  }
  connector.page_size = static_cast<size_t>(
      batch_size.value_or(own.page_size.value_or(defaults.page_size.value_or(10000))));
  return connector;
}

}  // namespace tsyncd::config_detail
