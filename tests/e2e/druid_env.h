// A fake Druid plus a tsyncd config around it, for the Druid end-to-end suite (the counterpart of
// questdb_env.h). The connector is called "drd".
//
// The suite runs twice (tests/e2e/meson.build): into SQLite, where datasource `ds` lands in table
// "drd__ds", and with TSYNCD_E2E_DESTINATION=postgres into a real PostgreSQL database, where it
// lands in "drd"."ds". Both are read back in the same canonical cell form, so each case states its
// expectations once; real_cell() covers the one place the two destinations differ.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "e2e/harness.h"
#include "e2e/pg_destination.h"
#include "fakes/druid/fake_druid.h"

namespace tsyncd::e2e {

struct DruidEnv {
  explicit DruidEnv(fakes::FakeDruidOptions options = {}) : fake(std::move(options)) {
    const char* destination = std::getenv("TSYNCD_E2E_DESTINATION");
    if (destination == nullptr || std::string(destination) == "sqlite") return;
    REQUIRE_MESSAGE(std::string(destination) == "postgres", "unknown TSYNCD_E2E_DESTINATION " << destination);
    Result<PgDestination> created = PgDestination::create(dir);
    REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
    postgres = std::move(*created);
  }

  TempDir dir;
  fakes::FakeDruid fake;
  int status_port = free_port();
  std::string dest_path = dir.file("dest.db");
  std::optional<PgDestination> postgres;  // empty: the SQLite file dest_path
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
    const std::string destination =
        postgres ? postgres->config_json() : R"({"type": "sqlite", "path": ")" + dest_path + "\"}";
    std::string json = R"({
  "state_path": ")" + dir.file("state.db") + R"(",
  "destination": )" + destination + R"(,
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

  // The table tsyncd wrote for `connector_name`'s `table`, read back in canonical cells. A
  // timestamp column gives the number of fraction digits its source has (PgColumn): Druid's
  // __time has three.
  std::vector<std::string> table_rows(const std::string& connector_name, const std::string& table,
                                      const std::vector<PgColumn>& columns) const {
    if (!postgres) {
      std::vector<std::string> names;
      for (const PgColumn& c : columns) names.push_back(c.name);
      return sqlite_rows(dest_path, connector_name + "__" + table, names);
    }
    Result<std::vector<std::string>> rows = postgres->rows(connector_name, table, columns);
    REQUIRE_MESSAGE(rows.ok(), (rows.ok() ? "" : rows.error().message));
    return *rows;
  }

  // The destination table of a datasource of this connector.
  std::vector<std::string> destination(const std::string& datasource, const std::vector<std::string>& columns) const {
    std::vector<PgColumn> typed;
    for (const std::string& c : columns) typed.emplace_back(c, c == "__time" ? 3 : 6);
    return table_rows(connector, datasource, typed);
  }

  // Rows in a datasource's table (0 while it does not exist, -1 when PostgreSQL cannot be read).
  int64_t count(const std::string& datasource) const {
    if (!postgres) return sqlite_count(dest_path, connector + "__" + datasource);
    Result<int64_t> n = postgres->count(connector, datasource);
    return n.ok() ? *n : -1;
  }

  // A float32/float64 value as the destination holds it: PostgreSQL's real and double precision
  // keep NaN and the sign of -0.0; SQLite stores NaN as the text 'NaN' and reads -0.0 back as 0.0
  // (README "Types").
  std::string real_cell(double d) const {
    if (postgres) return cell_real(d);
    if (std::isnan(d)) return cell_text("NaN");
    return cell_real(d == 0 ? 0.0 : d);
  }

  // Fails the case when tsyncd failed, or when its output shows the PostgreSQL password.
  void require_ok(const CommandResult& r) const {
    INFO(r.output);
    if (postgres) CHECK(r.output.find(postgres->password()) == std::string::npos);
    REQUIRE(r.exit_code == 0);
  }
};

}  // namespace tsyncd::e2e
