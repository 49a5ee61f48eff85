// A fake QuestDB plus a tsyncd config around it, for the end-to-end suites. The connector is
// called "qdb"; the destination is SQLite or PostgreSQL (test_destination.h).
#pragma once

#include <string>
#include <vector>

#include "e2e/harness.h"
#include "e2e/test_destination.h"
#include "fakes/questdb/fake_questdb.h"

namespace tsyncd::e2e {

struct QuestDbEnv {
  TempDir dir;
  fakes::FakeQuestDb fake;
  TestDestination destination{dir};
  int status_port = free_port();

  // Extra JSON members for the connector object and its "configuration" (each starting with ',').
  std::string connector_extra;
  std::string configuration_extra;
  std::string timeout = "5s";

  std::string config_path() const { return dir.file("tsyncd.json"); }

  // Writes the config for the given tables and returns its path.
  std::string write_config(const std::string& tables, int batch_size) const {
    std::string json = R"({
  "state_path": ")" + dir.file("state.db") + R"(",
  "destination": )" + destination.config_json() + R"(,
  "status": {"listen": "127.0.0.1:)" + std::to_string(status_port) + R"("},
  "log_level": "debug",
  "connectors": [{"name": "qdb", "type": "questdb", "sync_every": "1s")" + connector_extra + R"(,
    "configuration": {"host": "127.0.0.1", "port": ")" + std::to_string(fake.port()) + R"(",
                      "tables": ")" + tables + R"(", "batch_size": ")" + std::to_string(batch_size) +
                       R"(", "timeout": ")" + timeout + "\"" + configuration_extra + R"(}}]
})";
    write_file(config_path(), json);
    return config_path();
  }

  CommandResult sync_once(const std::string& tables, int batch_size) const {
    return run_tsyncd({"sync", "--once", "--config", write_config(tables, batch_size)});
  }

  // The destination table of a source table of this connector, in canonical cells.
  std::vector<std::string> rows(const std::string& table, const std::vector<PgColumn>& columns) const {
    return destination.rows("qdb", table, columns);
  }
};

}  // namespace tsyncd::e2e
