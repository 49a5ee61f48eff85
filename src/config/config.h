// config: the JSON configuration file, parsed and validated into plain structs.
//
// Validation reports every problem at once, one line each, naming the key path
// ("connectors[1].configuration.port: expected an integer 1..65535, got \"90a\""). Unknown keys are
// errors with a "did you mean". Secrets are resolved here (inline, password_file, or a systemd
// credential in $CREDENTIALS_DIRECTORY) and never appear in any message.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd {

struct ConnectorConfig {
  std::string name;  // unique; also the destination schema / table prefix
  std::string type;  // "questdb" | "druid"

  // configuration: connection (seed keys accepted unchanged)
  std::string host;   // default "localhost"
  int port = 0;       // default 9000 (questdb), 8888 (druid)
  bool tls = false;   // default false (questdb), true (druid)
  std::string ca_file;  // PEM CA bundle for tls (resolved path); empty: the system's
  bool tls_verify = true;
  std::string username;
  std::string password;  // resolved secret
  std::vector<std::string> tables;  // QuestDB "tables" / Druid "datasources", comma-separated
  std::optional<std::string> timestamp_column;
  std::map<std::string, std::vector<std::string>> key_columns;  // table -> columns; "*" = every table
  Duration timeout{std::chrono::seconds(30)};  // per-request read timeout

  // scheduling (connector level, falling back to "defaults")
  Duration sync_every{std::chrono::minutes(1)};
  Duration lookback{0};  // default 0 for questdb, 1d for druid
  Duration settle{0};
  size_t page_size = 10000;  // "page_size", or the seed's "batch_size"
};

struct DestinationConfig {
  std::string type = "sqlite";  // "sqlite" | "postgres"
  std::string path;             // sqlite, default /var/lib/tsyncd/tsyncd.db
  std::string dsn;              // postgres
  std::string password;         // postgres, resolved secret
};

struct StatusConfig {
  std::string host = "127.0.0.1";
  int port = 8787;  // 0 = pick a free port (tests)
  std::string token;  // when set, POST endpoints need "Authorization: Bearer <token>"
};

struct Config {
  std::string path;  // the file it came from
  std::string state_path = "/var/lib/tsyncd/state.db";
  DestinationConfig destination;
  StatusConfig status;
  int max_parallel = 4;
  std::string log_level = "info";  // trace|debug|info|warn|error
  std::vector<ConnectorConfig> connectors;

  const ConnectorConfig* find_connector(std::string_view name) const;
};

// Reads and validates a config file. On failure the Error (kind config) holds one line per
// problem, each naming its key path. `credentials_dir` is $CREDENTIALS_DIRECTORY (may be empty).
// Relative paths in the file (state_path, destination.path, ca_file, *_file) are relative to the
// file's directory, and come back resolved.
Result<Config> load_config(const std::string& path, const std::string& credentials_dir);

// The same, from text; relative password_file paths resolve against `base_dir`.
Result<Config> parse_config(std::string_view json_text, const std::string& base_dir,
                            const std::string& credentials_dir);

}  // namespace tsyncd
