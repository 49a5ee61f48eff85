// A fake QuestDB plus a tsyncd config around it, for the end-to-end suites.
#pragma once

#include <string>
#include <vector>

#include "e2e/harness.h"
#include "fakes/questdb/fake_questdb.h"

namespace tsyncd::e2e {

struct QuestDbEnv {
  TempDir dir;
  fakes::FakeQuestDb fake;
  int status_port = free_port();
  std::string dest_path = dir.file("dest.db");

  // Extra JSON members for the connector object and its "configuration" (each starting with ',').
  std::string connector_extra;
  std::string configuration_extra;
  std::string destination_json;  // default: the SQLite file above
  std::string timeout = "5s";

  std::string config_path() const { return dir.file("tsyncd.json"); }

  // Writes the config for the given tables and returns its path.
  std::string write_config(const std::string& tables, int batch_size) const {
    std::string destination =
        destination_json.empty() ? R"({"type": "sqlite", "path": ")" + dest_path + "\"}" : destination_json;
    std::string json = R"({
  "state_path": ")" + dir.file("state.db") + R"(",
  "destination": )" + destination + R"(,
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
};

}  // namespace tsyncd::e2e
