#include "config/config.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace tsyncd;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A fresh directory for secret files, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tsyncd-config-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const {
    fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

 private:
  fs::path path_;
};

Result<Config> parse(std::string_view json, const std::string& base_dir = "",
                     const std::string& credentials_dir = "") {
  return parse_config(json, base_dir, credentials_dir);
}

// A config whose only connector is `connector` (a JSON object).
std::string with_connector(std::string_view connector) {
  return std::string(R"({"connectors": [)") + std::string(connector) + "]}";
}

std::string questdb_with(std::string_view configuration_members) {
  return with_connector(R"({"name": "q", "type": "questdb", "configuration": {"tables": "t")" +
                        std::string(configuration_members.empty() ? "" : ", ") +
                        std::string(configuration_members) + "}}");
}

// The error text of a config that must be rejected.
std::string errors_of(std::string_view json, const std::string& base_dir = "",
                      const std::string& credentials_dir = "") {
  auto config = parse(json, base_dir, credentials_dir);
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().kind == ErrorKind::config);
  return config.error().message;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& errors, std::string_view expected) {
  for (const std::string& line : lines_of(errors))
    if (line == expected) return true;
  return false;
}

bool has_line_starting(const std::string& errors, std::string_view prefix) {
  for (const std::string& line : lines_of(errors))
    if (std::string_view(line).starts_with(prefix)) return true;
  return false;
}

}  // namespace

TEST_CASE("the architecture's example config parses with its values and the defaults") {
  TempDir dir;
  std::string password_file = dir.write("druid.pass", "s3cret\n");
  std::string json = R"({
  "state_path": "/var/lib/tsyncd/state.db",
  "destination": {"type": "sqlite", "path": "/var/lib/tsyncd/tsyncd.db"},
  "status": {"listen": "127.0.0.1:8787"},
  "defaults": {"sync_every": "1m", "page_size": 10000},
  "connectors": [
    {"name": "sensors", "type": "questdb", "sync_every": "30s", "lookback": "0s",
     "configuration": {"host": "localhost", "port": "9000", "username": "", "password": "",
                       "tables": "sensor_data,market_ticks", "batch_size": "1000"}},
    {"name": "events", "type": "druid", "lookback": "2h",
     "configuration": {"host": "druid.internal", "port": 8888, "datasources": "wikipedia",
                       "username": "reader", "password_file": "/etc/tsyncd/druid.pass"}}
  ]
})";
  json.replace(json.find("/etc/tsyncd/druid.pass"), 22, password_file);
  auto config = parse(json);
  REQUIRE_MESSAGE(config.ok(), config.error().message);
  CHECK(config->state_path == "/var/lib/tsyncd/state.db");
  CHECK(config->destination.type == "sqlite");
  CHECK(config->destination.path == "/var/lib/tsyncd/tsyncd.db");
  CHECK(config->status.host == "127.0.0.1");
  CHECK(config->status.port == 8787);
  CHECK(config->status.token.empty());
  CHECK(config->max_parallel == 4);
  CHECK(config->log_level == "info");
  REQUIRE(config->connectors.size() == 2);

  const ConnectorConfig& sensors = config->connectors[0];
  CHECK(sensors.name == "sensors");
  CHECK(sensors.type == "questdb");
  CHECK(sensors.host == "localhost");
  CHECK(sensors.port == 9000);
  CHECK_FALSE(sensors.tls);
  CHECK(sensors.tls_verify);
  CHECK(sensors.username.empty());
  CHECK(sensors.password.empty());
  CHECK(sensors.tables == std::vector<std::string>{"sensor_data", "market_ticks"});
  CHECK_FALSE(sensors.timestamp_column.has_value());
  CHECK(sensors.key_columns.empty());
  CHECK(sensors.page_size == 1000);  // the seed's batch_size beats "defaults"
  CHECK(sensors.sync_every == 30s);
  CHECK(sensors.lookback == 0s);
  CHECK(sensors.settle == 0s);
  CHECK(sensors.timeout == 30s);

  const ConnectorConfig& events = config->connectors[1];
  CHECK(events.name == "events");
  CHECK(events.type == "druid");
  CHECK(events.host == "druid.internal");
  CHECK(events.port == 8888);
  CHECK(events.tls);  // the Druid seed always used HTTPS
  CHECK(events.tables == std::vector<std::string>{"wikipedia"});
  CHECK(events.username == "reader");
  CHECK(events.password == "s3cret");
  CHECK(events.lookback == 2h);
  CHECK(events.sync_every == 1min);
  CHECK(events.page_size == 10000);

  CHECK(config->find_connector("events") == &config->connectors[1]);
  CHECK(config->find_connector("sensors") == &config->connectors[0]);
  CHECK(config->find_connector("nope") == nullptr);
}

TEST_CASE("the seed connectors' configuration.json objects work unchanged") {
  SUBCASE("QuestDB: every value a string") {
    auto config = parse(with_connector(R"({"name": "plant", "type": "questdb", "configuration": {
      "host": "questdb.plant.internal",
      "port": "9000",
      "username": "admin",
      "password": "quest",
      "tables": "sensor_data,market_ticks",
      "batch_size": "1000",
      "timestamp_column": "timestamp"
    }})"));
    REQUIRE_MESSAGE(config.ok(), config.error().message);
    const ConnectorConfig& c = config->connectors.at(0);
    CHECK(c.host == "questdb.plant.internal");
    CHECK(c.port == 9000);
    CHECK(c.username == "admin");
    CHECK(c.password == "quest");
    CHECK(c.tables == std::vector<std::string>{"sensor_data", "market_ticks"});
    CHECK(c.page_size == 1000);
    CHECK(c.timestamp_column == "timestamp");
    CHECK_FALSE(c.tls);
    CHECK(c.lookback == 0s);
  }
  SUBCASE("QuestDB: the optional keys left empty") {
    auto config = parse(with_connector(R"({"name": "plant", "type": "questdb", "configuration": {
      "host": "localhost", "port": "9000", "username": "", "password": "",
      "tables": "sensor_data", "batch_size": "500", "timestamp_column": "ts"}})"));
    REQUIRE_MESSAGE(config.ok(), config.error().message);
    CHECK(config->connectors[0].page_size == 500);
    CHECK(config->connectors[0].timestamp_column == "ts");
  }
  SUBCASE("Druid: minimal") {
    auto config = parse(with_connector(R"({"name": "wiki", "type": "druid", "configuration": {
      "host": "druid.example.com",
      "port": 8888,
      "datasources": "wikipedia,koalas-to-the-max"
    }})"));
    REQUIRE_MESSAGE(config.ok(), config.error().message);
    const ConnectorConfig& c = config->connectors.at(0);
    CHECK(c.host == "druid.example.com");
    CHECK(c.port == 8888);
    CHECK(c.tables == std::vector<std::string>{"wikipedia", "koalas-to-the-max"});
    CHECK(c.tls);
    CHECK(c.lookback == 24h);  // compaction and late ingestion are normal for Druid
    CHECK(c.page_size == 10000);
    CHECK(c.username.empty());
  }
  SUBCASE("Druid: with credentials") {
    auto config = parse(with_connector(R"({"name": "wiki", "type": "druid", "configuration": {
      "host": "druid.example.com",
      "port": 8888,
      "datasources": "wikipedia",
      "username": "analyst",
      "password": "druid-pass"
    }})"));
    REQUIRE_MESSAGE(config.ok(), config.error().message);
    CHECK(config->connectors[0].username == "analyst");
    CHECK(config->connectors[0].password == "druid-pass");
  }
}

TEST_CASE("etc/tsyncd.example.json parses") {
  auto config = load_config(TSYNCD_SOURCE_ROOT "/etc/tsyncd.example.json", "");
  REQUIRE_MESSAGE(config.ok(), config.error().message);
  CHECK(config->path == TSYNCD_SOURCE_ROOT "/etc/tsyncd.example.json");
  CHECK(config->destination.type == "sqlite");
  REQUIRE(config->connectors.size() == 1);
  const ConnectorConfig& c = config->connectors[0];
  CHECK(c.type == "questdb");
  CHECK(c.host == "localhost");
  CHECK(c.port == 9000);
  CHECK(c.tables == std::vector<std::string>{"sensor_data", "market_ticks"});
}

TEST_CASE("defaults apply to both types, connector values beat them") {
  auto config = parse(R"({
    "defaults": {"sync_every": "5m", "lookback": "1h", "settle": "10s", "page_size": "2000"},
    "connectors": [
      {"name": "a", "type": "questdb", "configuration": {"tables": "t"}},
      {"name": "b", "type": "druid", "configuration": {"datasources": "d"}},
      {"name": "c", "type": "druid", "sync_every": "2s", "lookback": "0s", "settle": "0",
       "page_size": 7, "configuration": {"datasources": "d", "batch_size": 7}}
    ]})");
  REQUIRE_MESSAGE(config.ok(), config.error().message);
  for (size_t i : {0, 1}) {
    const ConnectorConfig& c = config->connectors[i];
    CHECK(c.sync_every == 5min);
    CHECK(c.lookback == 1h);
    CHECK(c.settle == 10s);
    CHECK(c.page_size == 2000);
  }
  const ConnectorConfig& c = config->connectors[2];
  CHECK(c.sync_every == 2s);
  CHECK(c.lookback == 0s);
  CHECK(c.settle == 0s);
  CHECK(c.page_size == 7);
}

TEST_CASE("connection options: tls, ca_file, key_columns, timeout, booleans as strings") {
  TempDir dir;
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  auto config = parse(questdb_with(R"("host": "10.0.0.5", "port": 9443, "tls": "true",
      "tls_verify": "false", "ca_file": "ca.pem", "timeout": "2m",
      "key_columns": "sensor_id, site")"),
                      dir.path().string());
  REQUIRE_MESSAGE(config.ok(), config.error().message);
  const ConnectorConfig& c = config->connectors[0];
  CHECK(c.host == "10.0.0.5");
  CHECK(c.port == 9443);
  CHECK(c.tls);
  CHECK_FALSE(c.tls_verify);
  CHECK(c.ca_file == (dir.path() / "ca.pem").string());
  CHECK(c.timeout == 2min);
  CHECK(c.key_columns.at("*") == std::vector<std::string>{"sensor_id", "site"});

  auto per_table = parse(with_connector(R"({"name": "q", "type": "questdb", "configuration": {
      "tables": ["trades", "quotes"],
      "key_columns": {"trades": ["symbol", "trade_id"], "quotes": "symbol"}}})"));
  REQUIRE_MESSAGE(per_table.ok(), per_table.error().message);
  const ConnectorConfig& p = per_table->connectors[0];
  CHECK(p.tables == std::vector<std::string>{"trades", "quotes"});
  CHECK(p.key_columns.at("trades") == std::vector<std::string>{"symbol", "trade_id"});
  CHECK(p.key_columns.at("quotes") == std::vector<std::string>{"symbol"});
  CHECK(p.key_columns.count("*") == 0);
}

TEST_CASE("top-level options and destinations") {
  TempDir dir;
  dir.write("pg.pass", "pg-secret\n");
  dir.write("token", "tok-123\n");
  auto config = parse(R"({
    "state_path": "state/tsyncd-state.db",
    "destination": {"type": "postgres", "dsn": "host=db.internal dbname=tsyncd user=sync",
                    "password_file": "pg.pass"},
    "status": {"listen": "[::1]:0", "token_file": "token"},
    "max_parallel": "16", "log_level": "debug",
    "connectors": [{"name": "q", "type": "questdb", "configuration": {"tables": "t"}}]})",
                      dir.path().string());
  REQUIRE_MESSAGE(config.ok(), config.error().message);
  CHECK(config->state_path == (dir.path() / "state/tsyncd-state.db").string());
  CHECK(config->destination.type == "postgres");
  CHECK(config->destination.dsn == "host=db.internal dbname=tsyncd user=sync");
  CHECK(config->destination.password == "pg-secret");
  CHECK(config->status.host == "::1");
  CHECK(config->status.port == 0);
  CHECK(config->status.token == "tok-123");
  CHECK(config->max_parallel == 16);
  CHECK(config->log_level == "debug");

  auto defaults = parse(
      with_connector(R"({"name": "q", "type": "questdb", "configuration": {"tables": "t"}})"));
  REQUIRE_MESSAGE(defaults.ok(), defaults.error().message);
  CHECK(defaults->state_path == "/var/lib/tsyncd/state.db");
  CHECK(defaults->destination.type == "sqlite");
  CHECK(defaults->destination.path == "/var/lib/tsyncd/tsyncd.db");
  CHECK(defaults->status.host == "127.0.0.1");
  CHECK(defaults->status.port == 8787);
  CHECK(defaults->connectors[0].port == 9000);
  CHECK(defaults->connectors[0].host == "localhost");

  auto localhost =
      parse(R"({"status": {"listen": "localhost:9999"}, "destination": {"type": "sqlite"},
      "connectors": [{"name": "q", "type": "questdb", "configuration": {"tables": "t"}}]})");
  REQUIRE_MESSAGE(localhost.ok(), localhost.error().message);
  CHECK(localhost->status.host == "localhost");
  CHECK(localhost->status.port == 9999);
  CHECK(localhost->destination.path == "/var/lib/tsyncd/tsyncd.db");
}

TEST_CASE("a missing required key is named by its path") {
  std::string errors = errors_of(R"({"connectors": [{"configuration": {}}]})");
  CHECK(has_line_starting(errors, "connectors[0].name: required"));
  CHECK(has_line_starting(errors, "connectors[0].type: required"));

  errors = errors_of(with_connector(R"({"name": "q", "type": "questdb", "configuration": {}})"));
  CHECK(has_line_starting(errors, "connectors[0].configuration.tables: required"));
  errors = errors_of(with_connector(R"({"name": "d", "type": "druid", "configuration": {}})"));
  CHECK(has_line_starting(errors, "connectors[0].configuration.datasources: required"));
  errors = errors_of(with_connector(R"({"name": "d", "type": "druid"})"));
  CHECK(has_line_starting(errors, "connectors[0].configuration: required"));

  CHECK(has_line_starting(errors_of("{}"), "connectors: required"));
  CHECK(has_line_starting(errors_of(R"({"connectors": []})"),
                          "connectors: expected a non-empty array of connectors"));
  CHECK(has_line_starting(errors_of(R"({"connectors": {}})"),
                          "connectors: expected a non-empty array of connectors, got an object"));
  CHECK(has_line_starting(
      errors_of(
          R"({"destination": {"type": "postgres"}, "connectors": [{"name": "q", "type": "questdb", "configuration": {"tables": "t"}}]})"),
      "destination.dsn: required"));
}

TEST_CASE("a value of the wrong type names the expected type") {
  CHECK(has_line(errors_of(questdb_with(R"("host": 5)")),
                 "connectors[0].configuration.host: expected a string, got 5"));
  CHECK(has_line(
      errors_of(R"({"max_parallel": "four", "connectors": []})"),
      "max_parallel: expected an integer 1..64 (a number or a string of digits), got \"four\""));
  CHECK(has_line(errors_of(questdb_with(R"("tls": "yes")")),
                 "connectors[0].configuration.tls: expected true or false (a boolean or the string "
                 "\"true\"/\"false\"), got \"yes\""));
  CHECK(has_line(errors_of(questdb_with(R"("port": 9000.5)")),
                 "connectors[0].configuration.port: expected an integer 1..65535 (a number or a "
                 "string of digits), got 9000.5"));
  CHECK(has_line(
      errors_of(with_connector(R"({"name": "q", "type": "questdb", "configuration": "tables=t"})")),
      "connectors[0].configuration: expected an object, got \"tables=t\""));
  CHECK(
      has_line(errors_of(with_connector(R"({"name": "q", "type": "mysql", "configuration": {}})")),
               "connectors[0].type: expected \"questdb\" or \"druid\", got \"mysql\""));
  CHECK(has_line_starting(errors_of(R"({"log_level": "verbose", "connectors": []})"),
                          "log_level: expected one of trace, debug, info, warn, error"));
  CHECK(has_line_starting(errors_of(questdb_with(R"("timestamp_column": "")")),
                          "connectors[0].configuration.timestamp_column: expected a column name"));
  CHECK(has_line_starting(
      errors_of(questdb_with(R"("key_columns": 3)")),
      "connectors[0].configuration.key_columns: expected a comma-separated string"));
  CHECK(has_line_starting(errors_of(R"({"destination": {"type": "mysql"}, "connectors": []})"),
                          "destination.type: expected \"sqlite\" or \"postgres\", got \"mysql\""));
  CHECK(has_line(errors_of(R"([1, 2])"), "expected a JSON object at the top level, got an array"));
}

TEST_CASE("unknown keys are errors, with a suggestion when one is close") {
  std::string errors = errors_of(with_connector(
      R"({"name": "q", "type": "questdb", "configuration": {"tabels": "t", "prot": 9000}})"));
  CHECK(
      has_line(errors, "connectors[0].configuration.tabels: unknown key (did you mean 'tables'?)"));
  CHECK(has_line(errors, "connectors[0].configuration.prot: unknown key (did you mean 'port'?)"));
  CHECK(has_line_starting(errors, "connectors[0].configuration.tables: required"));

  errors = errors_of(R"({"stat_path": "/x", "colour": 1, "connectors": []})");
  CHECK(has_line(errors, "stat_path: unknown key (did you mean 'state_path'?)"));
  CHECK(has_line_starting(errors, "colour: unknown key (expected one of: state_path, destination"));

  errors = errors_of(with_connector(R"({"name": "q", "type": "questdb", "sync_evry": "1m",
      "configuration": {"tables": "t", "sync_every": "1m"}, "host": "h"})"));
  CHECK(has_line(errors, "connectors[0].sync_evry: unknown key (did you mean 'sync_every'?)"));
  CHECK(has_line_starting(errors,
                          "connectors[0].configuration.sync_every: belongs on the connector"));
  CHECK(has_line(errors, "connectors[0].host: belongs in \"configuration\""));

  CHECK(has_line(errors_of(R"({"defaults": {"page_sise": 5}, "connectors": []})"),
                 "defaults.page_sise: unknown key (did you mean 'page_size'?)"));
  CHECK(has_line(errors_of(R"({"status": {"listn": "127.0.0.1:1"}, "connectors": []})"),
                 "status.listn: unknown key (did you mean 'listen'?)"));
  CHECK(has_line_starting(errors_of(R"({"host": "localhost", "connectors": []})"),
                          "host: is a connector key: put a seed configuration.json under"));
  CHECK(has_line_starting(errors_of(R"({"odd key": 1, "connectors": []})"),
                          "[\"odd key\"]: unknown key"));
  CHECK(has_line(errors_of(R"({"log_level": "info", "log_level": "debug", "connectors": []})"),
                 "log_level: key given more than once"));
}

TEST_CASE("tables and datasources belong to their own source type") {
  CHECK(has_line_starting(
      errors_of(with_connector(
          R"({"name": "q", "type": "questdb", "configuration": {"datasources": "t"}})")),
      "connectors[0].configuration.datasources: is a Druid key; a QuestDB connector lists its "
      "tables in \"tables\""));
  std::string errors = errors_of(with_connector(
      R"({"name": "d", "type": "druid", "configuration": {"tables": "t", "timestamp_column": "ts"}})"));
  CHECK(has_line_starting(errors,
                          "connectors[0].configuration.tables: is a QuestDB key; a Druid "
                          "connector lists its datasources in \"datasources\""));
  CHECK(has_line_starting(errors,
                          "connectors[0].configuration.timestamp_column: is not a Druid key"));
}

TEST_CASE("ports: digits only, 1..65535") {
  const std::string prefix =
      "connectors[0].configuration.port: expected an integer 1..65535 "
      "(a number or a string of digits), got ";
  CHECK(has_line(errors_of(questdb_with(R"("port": "90a")")), prefix + "\"90a\""));
  CHECK(has_line(errors_of(questdb_with(R"("port": 0)")), prefix + "0"));
  CHECK(has_line(errors_of(questdb_with(R"("port": 70000)")), prefix + "70000"));
  CHECK(has_line(errors_of(questdb_with(R"("port": "70000")")), prefix + "\"70000\""));
  CHECK(has_line(errors_of(questdb_with(R"("port": -1)")), prefix + "-1"));
  CHECK(has_line(errors_of(questdb_with(R"("port": " 9000")")), prefix + "\" 9000\""));
  CHECK(has_line(errors_of(questdb_with(R"("port": "99999999999999999999999")")),
                 prefix + "\"99999999999999999999999\""));
  auto ok = parse(questdb_with(R"("port": "65535")"));
  REQUIRE_MESSAGE(ok.ok(), ok.error().message);
  CHECK(ok->connectors[0].port == 65535);
}

TEST_CASE("table lists: non-empty, no duplicates") {
  auto table_errors = [](std::string_view tables) {
    return errors_of(with_connector(
        std::string(R"({"name": "q", "type": "questdb", "configuration": {"tables": )") +
        std::string(tables) + "}}"));
  };
  CHECK(has_line(table_errors(R"("")"),
                 "connectors[0].configuration.tables: expected at least one table, got \"\""));
  CHECK(has_line(table_errors(R"(" , ")"),
                 "connectors[0].configuration.tables: expected at least one table, got \" , \""));
  CHECK(has_line(table_errors("[]"),
                 "connectors[0].configuration.tables: expected at least one table, got an array"));
  CHECK(has_line(table_errors(R"("a,b,a")"),
                 "connectors[0].configuration.tables: lists table \"a\" twice"));
  CHECK(has_line(table_errors(R"(["a", 5])"),
                 "connectors[0].configuration.tables[1]: expected a non-empty table name, got 5"));
  CHECK(
      has_line(table_errors("17"),
               "connectors[0].configuration.tables: expected a comma-separated string or an array "
               "of strings, got 17"));
  CHECK(has_line_starting(
      errors_of(questdb_with(R"("key_columns": {"other": "id"})")),
      "connectors[0].configuration.key_columns.other: is not one of this connector's tables (t)"));
}

TEST_CASE("connector names: present, unique, usable as a table prefix") {
  std::string errors = errors_of(R"({"connectors": [
      {"name": "dup", "type": "questdb", "configuration": {"tables": "t"}},
      {"name": "other", "type": "questdb", "configuration": {"tables": "t"}},
      {"name": "dup", "type": "druid", "configuration": {"datasources": "d"}}]})");
  CHECK(has_line(errors, "connectors[2].name: \"dup\" is already used by connectors[0]"));
  CHECK(lines_of(errors).size() == 1);

  errors = errors_of(
      with_connector(R"({"name": "a__b", "type": "questdb", "configuration": {"tables": "t"}})"));
  CHECK(has_line_starting(errors, "connectors[0].name: \"a__b\" contains \"__\""));
  CHECK(errors.find("<connector>__<table>") != std::string::npos);
  CHECK(has_line_starting(
      errors_of(
          with_connector(R"({"name": "a_", "type": "questdb", "configuration": {"tables": "t"}})")),
      "connectors[0].name: \"a_\" contains \"__\" or ends in '_'"));
  CHECK(has_line_starting(
      errors_of(with_connector(
          R"({"name": "my conn", "type": "questdb", "configuration": {"tables": "t"}})")),
      "connectors[0].name: expected letters, digits, '_' and '-' only"));
  CHECK(has_line_starting(
      errors_of(
          with_connector(R"({"name": "", "type": "questdb", "configuration": {"tables": "t"}})")),
      "connectors[0].name: expected letters, digits"));
}

TEST_CASE("with a PostgreSQL destination, table names must fit its 63-byte identifiers") {
  std::string long_name(64, 't');
  std::string json = R"({"destination": {"type": "postgres", "dsn": "host=db dbname=x"},
      "connectors": [{"name": "q", "type": "questdb", "configuration": {"tables": "ok,)" +
                     long_name + R"("}}]})";
  CHECK(has_line_starting(errors_of(json), "connectors[0].configuration.tables: \"" + long_name +
                                               "\" is longer than 63 bytes"));
  std::string sqlite = json;
  sqlite.replace(sqlite.find(R"("type": "postgres", "dsn": "host=db dbname=x")"), 45,
                 R"("type": "sqlite")");
  auto config = parse(sqlite);
  REQUIRE_MESSAGE(config.ok(), config.error().message);
  CHECK(config->connectors[0].tables.back() == long_name);
}

TEST_CASE("durations need a unit and stay in range") {
  CHECK(has_line(
      errors_of(with_connector(R"({"name": "q", "type": "questdb", "sync_every": "5 minutes",
                                             "configuration": {"tables": "t"}})")),
      "connectors[0].sync_every: expected a duration string with a unit (500ms, 30s, 5m, "
      "2h, 1d), got \"5 minutes\""));
  CHECK(has_line_starting(errors_of(R"({"defaults": {"lookback": 60}, "connectors": []})"),
                          "defaults.lookback: expected a duration string with a unit"));
  CHECK(has_line(errors_of(with_connector(R"({"name": "q", "type": "questdb", "sync_every": "500ms",
                                             "configuration": {"tables": "t"}})")),
                 "connectors[0].sync_every: must be at least 1s, got \"500ms\""));
  CHECK(has_line(errors_of(questdb_with(R"("timeout": "2h")")),
                 "connectors[0].configuration.timeout: must be at most 1h, got \"2h\""));
  CHECK(has_line(errors_of(questdb_with(R"("timeout": "999ms")")),
                 "connectors[0].configuration.timeout: must be at least 1s, got \"999ms\""));
}

TEST_CASE("page size: batch_size is the page size, 1..100000, no conflicting values") {
  std::string errors = errors_of(with_connector(
      R"({"name": "q", "type": "questdb", "page_size": 5000,
          "configuration": {"tables": "t", "batch_size": "1000"}})"));
  CHECK(has_line(errors,
                 "connectors[0].configuration.batch_size: 1000 conflicts with "
                 "connectors[0].page_size 5000 (both set the page size; keep one)"));

  errors = errors_of(with_connector(R"({"name": "q", "type": "questdb", "page_size": 200000,
                                       "configuration": {"tables": "t"}})"));
  CHECK(has_line(errors,
                 "connectors[0].page_size: expected an integer 1..100000 (a number or a "
                 "string of digits), got 200000; pages are capped at 100000 rows, Druid's "
                 "ordered-scan limit (maxRowsQueuedForOrdering)"));
  CHECK(has_line(errors_of(questdb_with(R"("batch_size": "0")")),
                 "connectors[0].configuration.batch_size: expected an integer 1..100000 (a number "
                 "or a string of digits), got \"0\""));
  CHECK(has_line_starting(errors_of(R"({"defaults": {"page_size": 100001}, "connectors": []})"),
                          "defaults.page_size: expected an integer 1..100000"));
  auto max = parse(questdb_with(R"("batch_size": 100000)"));
  REQUIRE_MESSAGE(max.ok(), max.error().message);
  CHECK(max->connectors[0].page_size == 100000);
}

TEST_CASE("passwords: inline or from a file, never both") {
  TempDir dir;
  dir.write("q.pass", "from-file\n\n");
  std::string errors =
      errors_of(questdb_with(R"("username": "u", "password": "inline", "password_file": "q.pass")"),
                dir.path().string());
  CHECK(has_line(errors,
                 "connectors[0].configuration.password_file: set either \"password\" or "
                 "\"password_file\", not both"));

  auto config =
      parse(questdb_with(R"("username": "u", "password_file": "q.pass")"), dir.path().string());
  REQUIRE_MESSAGE(config.ok(), config.error().message);
  CHECK(config->connectors[0].password == "from-file\n");  // only one trailing newline goes

  auto no_password = parse(questdb_with(R"("username": "u")"));
  REQUIRE_MESSAGE(no_password.ok(), no_password.error().message);
  CHECK(no_password->connectors[0].password.empty());

  CHECK(
      has_line_starting(errors_of(questdb_with(R"("password": "p")")),
                        "connectors[0].configuration.username: required when a password is given"));
}

TEST_CASE("a missing or empty secret file names the key and the path") {
  TempDir dir;
  std::string missing = (dir.path() / "nope.pass").string();
  CHECK(has_line(errors_of(questdb_with(R"("username": "u", "password_file": "nope.pass")"),
                           dir.path().string()),
                 "connectors[0].configuration.password_file: cannot read " + missing +
                     ": No such file or directory"));
  CHECK(has_line(
      errors_of(questdb_with(R"("username": "u", "password_file": "/nonexistent/x.pass")")),
      "connectors[0].configuration.password_file: cannot read /nonexistent/x.pass: No "
      "such file or directory"));
  std::string empty = dir.write("empty", "\n");
  CHECK(has_line(
      errors_of(R"({"status": {"token_file": "empty"}, "connectors": []})", dir.path().string()),
      "status.token_file: " + empty + " is empty"));
  CHECK(has_line_starting(
      errors_of(
          R"({"destination": {"type": "postgres", "dsn": "host=x", "password_file": "gone"}, "connectors": []})",
          dir.path().string()),
      "destination.password_file: cannot read " + (dir.path() / "gone").string()));
  CHECK(
      has_line_starting(errors_of(questdb_with(R"("tls": true, "ca_file": "/nonexistent/ca.pem")")),
                        "connectors[0].configuration.ca_file: cannot read /nonexistent/ca.pem"));
  std::string ca = dir.write("ca.pem", "x");
  CHECK(has_line(errors_of(questdb_with(R"("ca_file": ")" + ca + "\""), ""),
                 "connectors[0].configuration.ca_file: is only used with \"tls\": true"));
}

TEST_CASE("secret files come from $CREDENTIALS_DIRECTORY first, then the config's directory") {
  TempDir config_dir;
  TempDir credentials;
  config_dir.write("druid.pass", "from-config-dir\n");
  config_dir.write("other.pass", "other-from-config-dir\n");
  credentials.write("druid.pass", "from-credentials\n");
  std::string json = R"({"connectors": [
      {"name": "a", "type": "druid", "configuration": {"datasources": "d", "username": "u", "password_file": "druid.pass"}},
      {"name": "b", "type": "druid", "configuration": {"datasources": "d", "username": "u", "password_file": "other.pass"}}]})";

  auto with_credentials = parse(json, config_dir.path().string(), credentials.path().string());
  REQUIRE_MESSAGE(with_credentials.ok(), with_credentials.error().message);
  CHECK(with_credentials->connectors[0].password == "from-credentials");
  CHECK(with_credentials->connectors[1].password == "other-from-config-dir");

  auto without = parse(json, config_dir.path().string(), "");
  REQUIRE_MESSAGE(without.ok(), without.error().message);
  CHECK(without->connectors[0].password == "from-config-dir");

  std::string errors = errors_of(questdb_with(R"("username": "u", "password_file": "absent")"),
                                 config_dir.path().string(), credentials.path().string());
  CHECK(has_line_starting(errors, "connectors[0].configuration.password_file: cannot read " +
                                      (config_dir.path() / "absent").string()));
  CHECK(errors.find("$CREDENTIALS_DIRECTORY " + credentials.path().string()) != std::string::npos);
}

TEST_CASE("secrets never appear in messages") {
  std::string errors = errors_of(questdb_with(R"("username": "u", "password": 987654321)"));
  CHECK(has_line(errors, "connectors[0].configuration.password: expected a string, got a number"));
  CHECK(errors.find("987654321") == std::string::npos);

  errors = errors_of(questdb_with(R"("username": "u", "password": ["hunter2"])"));
  CHECK(errors.find("hunter2") == std::string::npos);

  errors = errors_of(R"({"destination": {"type": "postgres", "dsn": "host=db password = hunter2"},
                         "connectors": []})");
  CHECK(has_line_starting(errors, "destination.dsn: contains a password"));
  CHECK(errors.find("hunter2") == std::string::npos);
  errors = errors_of(
      R"({"destination": {"type": "postgres", "dsn": "postgresql://sync:hunter2@db/tsyncd"},
                         "connectors": []})");
  CHECK(has_line_starting(errors, "destination.dsn: contains a password"));
  CHECK(errors.find("hunter2") == std::string::npos);

  errors = errors_of(R"({"connectors": [{"configuration": {"password": "hunter2
  ]})");
  CHECK(errors.find("hunter2") == std::string::npos);

  TempDir dir;
  dir.write("token", "hunter2-token\n");
  errors =
      errors_of(R"({"status": {"listen": "nowhere", "token_file": "token"}, "connectors": []})",
                dir.path().string());
  CHECK(errors.find("hunter2") == std::string::npos);
}

TEST_CASE("status.listen takes an address literal or localhost, and a port") {
  auto listen_error = [](std::string_view listen) {
    return errors_of(
        std::string(R"({"status": {"listen": ")") + std::string(listen) +
        R"("}, "connectors": [{"name": "q", "type": "questdb", "configuration": {"tables": "t"}}]})");
  };
  for (std::string_view bad : {"127.0.0.1", "example.com:80", "127.0.0.1:70000",
                               "127.0.0.1:", "::1:80", "[::1]80", "[nope]:80", "127.0.0.1:8a"}) {
    CAPTURE(bad);
    CHECK(has_line(listen_error(bad),
                   "status.listen: expected \"host:port\" with an IPv4 address, a bracketed IPv6 "
                   "address or localhost and a port 0..65535, got \"" +
                       std::string(bad) + "\""));
  }
}

TEST_CASE("invalid JSON is reported with its line and column") {
  std::string errors =
      errors_of("{\n  \"connectors\": [\n    {\"name\": \"q\" \"type\": 1}\n  ]\n}");
  CHECK(lines_of(errors).size() == 1);
  CHECK(errors.starts_with("invalid JSON at line 3, column 18: "));
  CHECK(errors_of("{\"a\": tru}").starts_with("invalid JSON at line 1, column 7: "));
  CHECK(errors_of("").starts_with("invalid JSON"));
  CHECK(errors_of("{\"a\": \"unterminated").starts_with("invalid JSON"));
}

TEST_CASE("every problem is reported at once, one line each") {
  std::string errors = errors_of(R"({
    "max_parallel": 0,
    "log_level": "loud",
    "status": {"listen": "everywhere"},
    "connectors": [
      {"name": "a", "type": "questdb", "sync_every": "soon",
       "configuration": {"port": "90a", "tabels": "x"}},
      {"name": "a", "type": "druid", "configuration": {"datasources": "", "tls": "maybe"}}
    ]})");
  std::vector<std::string> expected_prefixes = {
      "max_parallel: expected an integer 1..64",
      "log_level: expected one of",
      "status.listen: expected \"host:port\"",
      "connectors[0].sync_every: expected a duration",
      "connectors[0].configuration.port: expected an integer 1..65535",
      "connectors[0].configuration.tabels: unknown key (did you mean 'tables'?)",
      "connectors[0].configuration.tables: required",
      "connectors[1].name: \"a\" is already used by connectors[0]",
      "connectors[1].configuration.datasources: expected at least one datasource",
      "connectors[1].configuration.tls: expected true or false",
  };
  for (const std::string& prefix : expected_prefixes) {
    CAPTURE(prefix);
    CHECK(has_line_starting(errors, prefix));
  }
  CHECK(lines_of(errors).size() == expected_prefixes.size());
}

TEST_CASE("load_config reads a file and resolves relative paths against its directory") {
  TempDir dir;
  dir.write("secrets/q.pass", "pw\n");
  std::string path = dir.write(
      "tsyncd.json", questdb_with(R"("username": "u", "password_file": "secrets/q.pass")"));
  auto config = load_config(path, "");
  REQUIRE_MESSAGE(config.ok(), config.error().message);
  CHECK(config->path == path);
  CHECK(config->connectors[0].password == "pw");

  auto missing = load_config((dir.path() / "absent.json").string(), "");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::config);
  CHECK(missing.error().message == "cannot read config file " +
                                       (dir.path() / "absent.json").string() +
                                       ": No such file or directory");
}
