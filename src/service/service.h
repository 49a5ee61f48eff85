// service: the process around the scheduler — logging, signals, reload, sd_notify and the
// one-shot commands. Each function is one `tsyncd` command and returns the process exit code;
// daemon/main.cpp only parses the command line.
#pragma once

#include <optional>
#include <string>

namespace tsyncd {

struct CommandOptions {
  std::string config_path = "/etc/tsyncd/tsyncd.json";
  std::string connector;  // filters for sync/state commands ("" = all)
  std::string table;
  std::optional<std::string> from_iso;  // resync bounds
  std::optional<std::string> to_iso;
  std::string log_level;  // overrides the config's log_level when set
};

// Exit codes: 0 success, 1 a sync failed / problems found, 2 usage or config error.
int run_daemon(const CommandOptions& options);    // tsyncd run
int check_config(const CommandOptions& options);  // tsyncd check
int sync_once(const CommandOptions& options);     // tsyncd sync --once
int resync_once(const CommandOptions& options);   // tsyncd resync
int state_show(const CommandOptions& options);    // tsyncd state show
int state_reset(const CommandOptions& options);   // tsyncd state reset

}  // namespace tsyncd
