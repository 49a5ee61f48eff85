#include "service.h"

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <asio.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "logging.h"
#include "scheduler/scheduler.h"

namespace tsyncd {
namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(30);

std::string credentials_dir() {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  return dir ? dir : "";
}

// Loads the config and sets up logging; prints every problem to stderr on failure.
std::optional<Config> load(const CommandOptions& options) {
  auto config = load_config(options.config_path, credentials_dir());
  if (!config) {
    std::fprintf(stderr, "%s: invalid configuration:\n%s\n", options.config_path.c_str(),
                 config.error().message.c_str());
    return std::nullopt;
  }
  std::string level = options.log_level.empty() ? config->log_level : options.log_level;
  if (!setup_logging(level)) spdlog::warn("unknown log level '{}', using info", level);
  return std::move(config.value());
}

// SQLite does not create directories; systemd's StateDirectory= does in production, this does
// it for a hand-run daemon.
void make_parent_dir(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
}

std::unique_ptr<StateStore> open_state(const Config& config) {
  make_parent_dir(config.state_path);
  auto state = StateStore::open(config.state_path);
  if (!state) {
    spdlog::error("state store {}: {}", config.state_path, state.error().message);
    return nullptr;
  }
  return std::move(state.value());
}

// The writers (the daemon, sync, resync, state reset) hold the state file's lock for their whole
// life; `hint` tells the user what to do instead when another process holds it.
std::optional<StateLock> lock_state(const Config& config, const std::string& hint) {
  make_parent_dir(config.state_path);
  auto lock = StateLock::acquire(config.state_path);
  if (!lock) {
    spdlog::error("{}; {}", lock.error().message, hint);
    return std::nullopt;
  }
  return std::move(lock.value());
}

// "curl -X POST -d '' http://127.0.0.1:8787/tables/C/T/sync": the request that asks a running
// daemon to do what a refused command would have done.
std::string daemon_request(const Config& config, const CommandOptions& options, const std::string& action) {
  return "curl -X POST -d '' http://" + config.status.host + ":" + std::to_string(config.status.port) + "/tables/" +
         (options.connector.empty() ? "{connector}" : options.connector) + "/" +
         (options.table.empty() ? "{table}" : options.table) + "/" + action;
}

bool destination_reachable(const Config& config) {
  if (config.destination.type == "sqlite") make_parent_dir(config.destination.path);
  auto dest = open_destination(destination_options(config.destination));
  if (!dest) spdlog::error("destination: {}", dest.error().message);
  return dest.ok();
}

bool selected(const CommandOptions& o, const ConnectorConfig& c, const std::string& table) {
  return (o.connector.empty() || o.connector == c.name) && (o.table.empty() || o.table == table);
}

// Unknown --connector/--table names are a usage error, not an empty success.
bool check_filters(const CommandOptions& o, const Config& config) {
  if (!o.connector.empty() && !config.find_connector(o.connector)) {
    std::fprintf(stderr, "no connector named '%s' in %s\n", o.connector.c_str(), config.path.c_str());
    return false;
  }
  for (const auto& c : config.connectors)
    for (const auto& t : c.tables)
      if (selected(o, c, t)) return true;
  std::fprintf(stderr, "no table named '%s'%s in %s\n", o.table.c_str(),
               o.connector.empty() ? "" : (" in connector '" + o.connector + "'").c_str(), config.path.c_str());
  return false;
}

void notify(const std::string& message) { sd_notify(0, message.c_str()); }

// The daemon's event loop: signals, reload, watchdog and the heartbeat /healthz reads.
class Daemon {
 public:
  Daemon(const CommandOptions& options, Config config, StateStore& state)
      : options_(options), config_(std::move(config)), state_(state), signals_(io_, SIGTERM, SIGINT, SIGHUP),
        heartbeat_timer_(io_), watchdog_timer_(io_), grace_timer_(io_),
        scheduler_(io_, state_, destination_options(config_.destination)) {}

  int run() {
    StatusServerOptions status_options{config_.status.host, config_.status.port, config_.status.token};
    StatusServer server(
        status_options, [this] { return scheduler_.snapshot(); },
        [this](const TriggerRequest& r) { return scheduler_.trigger(r); },
        [this] { return static_cast<double>(steady_ms() - last_beat_.load()) / 1000.0; });
    auto port = server.start();
    if (!port) {
      spdlog::error("{}", port.error().message);
      return 2;
    }
    scheduler_.apply(config_);
    heartbeat();
    watchdog();
    wait_for_signal();
    size_t tables = 0;
    for (const auto& c : config_.connectors) tables += c.tables.size();
    spdlog::info("tsyncd {} started: {} connectors, {} tables, status on http://{}:{}/status", TSYNCD_VERSION,
                 config_.connectors.size(), tables, config_.status.host, *port);
    notify("READY=1\nSTATUS=" + scheduler_.summary());
    io_.run();
    server.stop();
    spdlog::info("tsyncd stopped");
    return 0;
  }

 private:
  static int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void heartbeat() {
    last_beat_ = steady_ms();
    heartbeat_timer_.expires_after(std::chrono::seconds(1));
    heartbeat_timer_.async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      notify("STATUS=" + scheduler_.summary());
      heartbeat();
    });
  }

  // Pings come from the loop itself, so a wedged loop stops them and systemd restarts us.
  void watchdog() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_timer_.expires_after(std::chrono::microseconds(usec / 2));
    watchdog_timer_.async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      notify("WATCHDOG=1");
      watchdog();
    });
  }

  void wait_for_signal() {
    signals_.async_wait([this](const asio::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        reload();
        wait_for_signal();
        return;
      }
      stop(signal);
    });
  }

  void stop(int signal) {
    spdlog::info("received {}: finishing the pages being written, then exiting", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    notify("STOPPING=1");
    heartbeat_timer_.cancel();
    watchdog_timer_.cancel();
    grace_timer_.expires_after(kShutdownGrace);
    grace_timer_.async_wait([](const asio::error_code& ec) {
      if (ec) return;
      // Every committed page and cursor is already durable, so leaving now loses nothing.
      spdlog::warn("syncs did not stop within {} s; exiting anyway (the next start resumes from the last cursor)",
                   kShutdownGrace.count());
      spdlog::default_logger()->flush();
      _exit(0);
    });
    scheduler_.shutdown([this] {
      grace_timer_.cancel();
      signals_.cancel();
      io_.stop();
    });
  }

  void reload() {
    notify("RELOADING=1");
    spdlog::info("received SIGHUP: reloading {}", options_.config_path);
    auto fresh = load_config(options_.config_path, credentials_dir());
    if (!fresh) {
      std::string message = fresh.error().message;
      spdlog::error("configuration reload rejected, keeping the running configuration:\n{}", message);
      scheduler_.set_config_error(message);
      notify("READY=1\nSTATUS=" + scheduler_.summary());
      return;
    }
    Config& next = *fresh;
    // These are opened once at start; changing them safely needs a restart.
    if (next.state_path != config_.state_path || next.destination.type != config_.destination.type ||
        next.destination.path != config_.destination.path || next.destination.dsn != config_.destination.dsn ||
        next.status.host != config_.status.host || next.status.port != config_.status.port)
      spdlog::warn("state_path, destination and status changes take effect after a restart");
    if (options_.log_level.empty()) setup_logging(next.log_level);
    config_.connectors = next.connectors;
    config_.max_parallel = next.max_parallel;
    config_.log_level = next.log_level;
    scheduler_.set_config_error("");
    scheduler_.apply(config_);
    spdlog::info("configuration reloaded: {} connectors", config_.connectors.size());
    notify("READY=1\nSTATUS=" + scheduler_.summary());
  }

  const CommandOptions& options_;
  Config config_;
  StateStore& state_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::steady_timer heartbeat_timer_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer grace_timer_;
  std::atomic<int64_t> last_beat_{0};
  Scheduler scheduler_;
};

int run_tables(const CommandOptions& options, bool resync) {
  auto config = load(options);
  if (!config) return 2;
  if (!check_filters(options, *config)) return 2;
  auto lock = lock_state(*config, "the running daemon can do this: " +
                                      daemon_request(*config, options, resync ? "resync" : "sync"));
  if (!lock) return 1;
  auto state = open_state(*config);
  if (!state || !destination_reachable(*config)) return 1;
  std::optional<ResyncRange> range;
  if (resync) range = ResyncRange{options.from_iso, options.to_iso};
  int failures = 0;
  std::stop_source never;
  DestinationPool destinations(destination_options(config->destination));  // one connection for every table
  for (const auto& c : config->connectors) {
    for (const auto& table : c.tables) {
      if (!selected(options, c, table)) continue;
      auto result = run_table(c, table, *state, destinations, range, never.get_token());
      if (result) {
        std::printf("%s/%s: ok, %lld rows written%s\n", c.name.c_str(), table.c_str(),
                    static_cast<long long>(result->rows_written),
                    result->cursor ? (", cursor " + format_iso_time(*result->cursor, result->unit)).c_str() : "");
      } else {
        ++failures;
        std::printf("%s/%s: FAILED (%s): %s\n", c.name.c_str(), table.c_str(),
                    std::string(to_string(result.error().kind)).c_str(), result.error().message.c_str());
      }
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int run_daemon(const CommandOptions& options) {
  auto config = load(options);
  if (!config) return 2;
  auto lock = lock_state(*config, "one daemon per state file");
  if (!lock) return 1;
  auto state = open_state(*config);
  if (!state) return 1;
  if (!destination_reachable(*config)) return 1;
  Daemon daemon(options, std::move(*config), *state);
  return daemon.run();
}

int check_config(const CommandOptions& options) {
  auto config = load_config(options.config_path, credentials_dir());
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 2;
  }
  size_t tables = 0;
  for (const auto& c : config->connectors) tables += c.tables.size();
  std::printf("%s: OK (%zu connectors, %zu tables, destination %s)\n", options.config_path.c_str(),
              config->connectors.size(), tables, config->destination.type.c_str());
  return 0;
}

int sync_once(const CommandOptions& options) { return run_tables(options, false); }

int resync_once(const CommandOptions& options) {
  if (options.connector.empty() || options.table.empty()) {
    std::fprintf(stderr, "resync needs --connector NAME and --table NAME\n");
    return 2;
  }
  return run_tables(options, true);
}

int state_show(const CommandOptions& options) {
  auto config = load(options);
  if (!config) return 2;
  auto state = open_state(*config);
  if (!state) return 1;
  auto tables = state->tables();
  if (!tables) {
    std::fprintf(stderr, "%s\n", tables.error().message.c_str());
    return 1;
  }
  auto dest = open_destination(destination_options(config->destination));
  std::printf("%-20s %-24s %-32s %12s %12s  %s\n", "CONNECTOR", "TABLE", "CURSOR", "ROWS_WRITTEN", "DEST_ROWS",
              "LAST_ERROR");
  for (const auto& t : *tables) {
    if (!options.connector.empty() && t.connector != options.connector) continue;
    if (!options.table.empty() && t.table != options.table) continue;
    std::string cursor = t.cursor ? format_iso_time(t.cursor->resume_ts, t.cursor->unit) : "-";
    std::string dest_rows = "?";
    if (dest) {
      auto n = (*dest)->count_rows(TableRef{t.connector, t.table});
      if (n) dest_rows = std::to_string(*n);
    }
    std::printf("%-20s %-24s %-32s %12lld %12s  %s\n", t.connector.c_str(), t.table.c_str(), cursor.c_str(),
                static_cast<long long>(t.rows_total), dest_rows.c_str(), t.last_error.c_str());
  }
  return 0;
}

int state_reset(const CommandOptions& options) {
  if (options.connector.empty()) {
    std::fprintf(stderr, "state reset needs --connector NAME (and optionally --table NAME)\n");
    return 2;
  }
  auto config = load(options);
  if (!config) return 2;
  // A run in flight in a daemon on the same state would write its cursor back with its next page.
  auto lock = lock_state(*config, "stop the daemon first, or ask it to re-read: " +
                                      daemon_request(*config, options, "resync"));
  if (!lock) return 1;
  auto state = open_state(*config);
  if (!state) return 1;
  if (Status s = state->reset(options.connector, options.table); !s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  std::printf("reset %s%s: the next sync re-reads from the start and replaces what the destination holds\n",
              options.connector.c_str(), options.table.empty() ? " (every table)" : ("/" + options.table).c_str());
  return 0;
}

}  // namespace tsyncd
