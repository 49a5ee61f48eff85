// status: the local HTTP endpoint operators poll (architecture section 8).
//
// It never touches sync state directly: the scheduler publishes an immutable snapshot after every
// change and the server renders whatever snapshot is current, so a request is answered in
// microseconds even while every worker is busy. Triggers are handed to a callback that only
// queues work on the event loop.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd {

struct TableStatus {
  std::string connector;
  std::string table;
  std::string source;  // "questdb localhost:9000"
  std::string state;   // idle | running | backing_off | failed | disabled
  std::optional<int64_t> cursor;  // native units
  std::optional<int64_t> source_max;
  TimeUnit unit = TimeUnit::us;
  int64_t rows_last_run = 0;
  int64_t rows_total = 0;
  int64_t runs_ok = 0;
  int64_t runs_failed = 0;
  std::optional<int64_t> last_success_ms;  // unix ms
  std::optional<int64_t> last_failure_ms;
  std::optional<int64_t> failing_since_ms;  // first failure of the current streak
  std::string last_error;
  std::optional<int64_t> next_run_ms;  // unix ms
  int64_t sync_every_ms = 0;
};

struct StatusSnapshot {
  std::string version;
  int64_t started_ms = 0;
  int64_t generated_ms = 0;
  std::string config_path;
  std::string config_error;  // the last reload's problem, kept until a reload succeeds
  std::vector<TableStatus> tables;
};

// Renderers, exposed for tests.
std::string render_status_json(const StatusSnapshot& snapshot);
std::string render_metrics(const StatusSnapshot& snapshot);
// Healthy when no table has been failing for longer than max(5 min, 3 x its interval).
bool is_healthy(const StatusSnapshot& snapshot, int64_t now_ms, std::string* reason);

struct StatusServerOptions {
  std::string host = "127.0.0.1";
  int port = 8787;    // 0: any free port
  std::string token;  // non-empty: POST endpoints need "Authorization: Bearer <token>"
};

enum class TriggerKind { sync, resync };

struct TriggerRequest {
  TriggerKind kind = TriggerKind::sync;
  std::string connector;
  std::string table;
  std::optional<std::string> from_iso;  // resync only
  std::optional<std::string> to_iso;
};

class StatusServer {
 public:
  using SnapshotFn = std::function<std::shared_ptr<const StatusSnapshot>()>;
  // Queues the work; returns not_found for an unknown table. Must not block.
  using TriggerFn = std::function<Status(const TriggerRequest&)>;
  // Seconds since the event loop last proved it is alive (for /healthz).
  using LoopAgeFn = std::function<double()>;

  StatusServer(StatusServerOptions options, SnapshotFn snapshot, TriggerFn trigger, LoopAgeFn loop_age);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Binds and starts serving on a thread of its own; returns the bound port.
  Result<int> start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tsyncd
