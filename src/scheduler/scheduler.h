// scheduler: when each table syncs, and on which thread.
//
// The event loop (one asio::io_context on the main thread) owns every timer and all scheduling
// state; sync runs happen on worker threads, at most max_parallel at once, and report back by
// posting to the loop. One table never runs twice at once; a failing table backs off (doubling
// up to its interval) without holding up the others; an authentication failure backs off every
// table of its connector, since they share the credentials.
#pragma once

#include <asio.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "config/config.h"
#include "status/status.h"
#include "sync/sync.h"

namespace tsyncd {

// How a configured connector turns into a source and sync settings.
SourceOptions source_options(const ConnectorConfig& connector);
SyncSettings sync_settings(const ConnectorConfig& connector);
DestinationOptions destination_options(const DestinationConfig& destination);

// Runs one table once on the calling thread (a worker, or `tsyncd sync --once`): opens a source,
// takes a destination from the pool, syncs, records the run in the state store, logs the outcome.
Result<SyncOutcome> run_table(const ConnectorConfig& connector, const std::string& table, StateStore& state,
                              DestinationPool& destinations, const std::optional<ResyncRange>& resync,
                              std::stop_token stop, const ProgressFn& progress = {});

class Scheduler {
 public:
  Scheduler(asio::io_context& io, StateStore& state, DestinationOptions destination);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Loop thread. Adds, updates and removes tables to match the configuration; tables that stay
  // keep their state and timers.
  void apply(const Config& config);

  // Any thread. Queues a sync or resync of one table (runs as soon as a worker is free, or right
  // after the table's current run). not_found for an unknown table. Never blocks.
  Status trigger(const TriggerRequest& request);

  // Loop thread. Stops scheduling, asks running syncs to stop after the page they are writing,
  // and calls on_idle (on the loop) once no sync runs.
  void shutdown(std::function<void()> on_idle);

  // Any thread: the latest published snapshot.
  std::shared_ptr<const StatusSnapshot> snapshot() const;
  // Loop thread: the last reload's error ("" when it succeeded).
  void set_config_error(std::string error);
  // One line for sd_notify STATUS=.
  std::string summary() const;

 private:
  struct Table;
  using Key = std::pair<std::string, std::string>;

  void schedule(Table& table, Duration delay);
  void enqueue(Table& table);
  void start_ready();
  void start(Table& table);
  void finished(const Key& key, Result<SyncOutcome> result);
  void back_off(Table& table, const Error& error);
  void publish();
  Duration jittered(Duration d, double fraction);

  asio::io_context& io_;
  StateStore& state_;
  DestinationPool destinations_;
  int max_parallel_ = 1;
  int running_ = 0;
  bool shutting_down_ = false;
  std::function<void()> on_idle_;
  std::map<Key, std::unique_ptr<Table>> tables_;
  std::vector<Key> ready_;  // due, waiting for a worker slot, in order
  std::mt19937_64 random_;
  std::string config_path_;
  std::string config_error_;
  int64_t started_ms_;

  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const StatusSnapshot> snapshot_;
};

}  // namespace tsyncd
