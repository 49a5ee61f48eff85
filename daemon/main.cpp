// tsyncd's command line. Everything it does is in src/service.
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "service/service.h"

namespace {

constexpr const char* kUsage = R"(tsyncd — keeps destination tables equal to QuestDB tables and Druid datasources

Usage:
  tsyncd [run] [--config FILE]                 run the daemon (the default command)
  tsyncd check [--config FILE]                 validate the configuration and secrets; no side effects
  tsyncd sync --once [--connector NAME] [--table NAME]
                                               one pass over the selected tables; exit 0 if all succeeded
  tsyncd resync --connector NAME --table NAME [--from ISO] [--to ISO]
                                               re-read a table (or a closed time range) and replace it
  tsyncd state show [--connector NAME] [--table NAME]
  tsyncd state reset --connector NAME [--table NAME]
                                               forget cursors; the next sync re-reads from the start
  tsyncd --version | --help

Options:
  --config FILE     configuration file (default /etc/tsyncd/tsyncd.json)
  --log-level LVL   trace|debug|info|warn|error (overrides the configuration)

Exit codes: 0 success, 1 a sync or state operation failed, 2 usage or configuration error.
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "tsyncd: %s\nRun 'tsyncd --help' for usage.\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that hangs up mid-write (OpenSSL writes with write(2)) must be an error, not a signal
  // that kills the process.
  std::signal(SIGPIPE, SIG_IGN);
  // Every page allocates and frees a few MiB; glibc's default of returning freed memory to the
  // kernel at once made the next page fault it all in again (parsing measured ~9x slower). Keep up
  // to 32 MiB of free heap instead; peak memory still follows the page size, not the table size.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
  std::vector<std::string> args(argv + 1, argv + argc);
  tsyncd::CommandOptions options;
  std::vector<std::string> words;  // the command, e.g. {"state", "show"}
  bool once = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("tsyncd %s\n", TSYNCD_VERSION);
      return 0;
    } else if (a == "--once") {
      once = true;
    } else if (a == "--config" || a == "-c") {
      if (!value(options.config_path)) return usage_error(a + " needs a file");
    } else if (a == "--connector") {
      if (!value(options.connector)) return usage_error(a + " needs a name");
    } else if (a == "--table") {
      if (!value(options.table)) return usage_error(a + " needs a name");
    } else if (a == "--from") {
      if (!value(v)) return usage_error(a + " needs a time");
      options.from_iso = v;
    } else if (a == "--to") {
      if (!value(v)) return usage_error(a + " needs a time");
      options.to_iso = v;
    } else if (a == "--log-level") {
      if (!value(options.log_level)) return usage_error(a + " needs a level");
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + a + "'");
    } else {
      words.push_back(a);
    }
  }
  std::string command = words.empty() ? "run" : words[0];
  if (command == "run" && words.size() <= 1) return tsyncd::run_daemon(options);
  if (command == "check" && words.size() == 1) return tsyncd::check_config(options);
  if (command == "sync" && words.size() == 1) {
    if (!once) return usage_error("'sync' runs one pass and needs --once (the daemon is 'tsyncd run')");
    return tsyncd::sync_once(options);
  }
  if (command == "resync" && words.size() == 1) return tsyncd::resync_once(options);
  if (command == "state" && words.size() == 2 && words[1] == "show") return tsyncd::state_show(options);
  if (command == "state" && words.size() == 2 && words[1] == "reset") return tsyncd::state_reset(options);
  return usage_error("unknown command '" + std::string(words.empty() ? "" : words[0]) +
                     (words.size() > 1 ? " " + words[1] : "") + "'");
}
