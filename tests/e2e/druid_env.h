// A fake Druid plus a tsyncd config around it, for the Druid end-to-end suite (the counterpart of
// questdb_env.h). The connector is called "drd"; the destination is SQLite or PostgreSQL
// (test_destination.h).
#pragma once

#include <string>
#include <vector>

#include "e2e/harness.h"
#include "e2e/test_destination.h"
#include "fakes/druid/fake_druid.h"

namespace tsyncd::e2e {

struct DruidEnv {
  explicit DruidEnv(fakes::FakeDruidOptions options = {}) : fake(std::move(options)) {}

  TempDir dir;
  fakes::FakeDruid fake;
  TestDestination destination{dir};
  int status_port = free_port();
  std::string connector = "drd";

  // Extra JSON members for the connector object and its "configuration" (each starting with ',').
  // Druid's defaults are "lookback": "1d" and "tls": true; the fake speaks plain HTTP, so "tls"
  // is always written as false.
  std::string connector_extra;
  std::string configuration_extra;
  std::string timeout = "5s";

  std::string config_path() const { return dir.file("tsyncd.json"); }

  // The connector object alone, for configs that hold several connectors.
  std::string connector_json(const std::string& datasources, int page_size) const {
    return R"({"name": ")" + connector + R"(", "type": "druid", "sync_every": "1s", "page_size": )" +
           std::to_string(page_size) + connector_extra + R"(,
    "configuration": {"host": "127.0.0.1", "port": )" + std::to_string(fake.port()) +
           R"(, "tls": false, "datasources": ")" + datasources + R"(", "timeout": ")" + timeout + "\"" +
           configuration_extra + "}}";
  }

  // A whole config around the given connector objects (JSON, comma separated).
  std::string write_config_with(const std::string& connectors) const {
    std::string json = R"({
  "state_path": ")" + dir.file("state.db") + R"(",
  "destination": )" + destination.config_json() + R"(,
  "status": {"listen": "127.0.0.1:)" + std::to_string(status_port) + R"("},
  "log_level": "debug",
  "connectors": [)" + connectors + R"(]
})";
    write_file(config_path(), json);
    return config_path();
  }

  std::string write_config(const std::string& datasources, int page_size) const {
    return write_config_with(connector_json(datasources, page_size));
  }

  CommandResult sync_once(const std::string& datasources, int page_size) const {
    return run_tsyncd({"sync", "--once", "--config", write_config(datasources, page_size)});
  }

  // The destination table of a datasource of this connector, in canonical cells (__time has
  // three fraction digits).
  std::vector<std::string> rows(const std::string& datasource, const std::vector<std::string>& columns) const {
    std::vector<PgColumn> typed;
    for (const std::string& c : columns) typed.emplace_back(c, c == "__time" ? 3 : 6);
    return destination.rows(connector, datasource, typed);
  }
};

}  // namespace tsyncd::e2e
