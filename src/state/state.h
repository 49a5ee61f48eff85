// state: tsyncd's own bookkeeping in an SQLite file (separate from the destination): per-table
// cursors, the last discovered schema, the source's chunk versions, and run history. Thread-safe;
// one instance per process.
//
// A cursor is committed only after the destination transaction holding every row below it has
// committed, so a crash between the two re-reads a little, never skips.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd {

struct Cursor {
  int64_t resume_ts = 0;    // everything before this is synced; the next read starts here inclusive
  TimeUnit unit = TimeUnit::us;
  std::string time_column;  // the cursor is only valid for the same time column
};

struct RunRecord {
  std::string connector;
  std::string table;
  std::string kind;  // "sync" | "resync"
  int64_t started_at_ms = 0;  // unix ms
  int64_t finished_at_ms = 0;
  int64_t rows = 0;
  bool ok = false;
  std::string error;  // empty on success
};

struct TableState {
  std::string connector;
  std::string table;
  std::optional<Cursor> cursor;
  int64_t rows_total = 0;  // rows written over all runs
  std::optional<int64_t> last_success_ms;
  std::optional<int64_t> last_failure_ms;
  std::string last_error;
};

// Only one tsyncd process may write a state file at a time. Two writers would move the same
// cursors: a `state reset` under a running daemon would be undone by a run in flight, and a
// `sync --once` beside the daemon would double every request to the source. The lock is an flock
// on "<state file>.lock", which also holds the owner's pid for the error message. The kernel drops
// it when the owner ends, however it ends, so a kill -9 never leaves a stale lock behind.
class StateLock {
 public:
  // Takes the lock without waiting; a `state` error naming the file (and the owner's pid) when
  // another process holds it.
  static Result<StateLock> acquire(const std::string& state_path);

  StateLock(StateLock&& other) noexcept;
  StateLock& operator=(StateLock&& other) noexcept;
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  ~StateLock();  // releases the lock (the file stays: removing it would race with a new owner)

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class StateStore {
 public:
  // Opens (creating if needed) the state database; WAL mode, schema migrated in place.
  static Result<std::unique_ptr<StateStore>> open(const std::string& path);
  virtual ~StateStore() = default;

  virtual Result<std::optional<Cursor>> cursor(const std::string& connector, const std::string& table) = 0;
  // Stores the cursor and adds rows_written to the table's total, in one transaction.
  virtual Status commit_cursor(const std::string& connector, const std::string& table, const Cursor& cursor,
                               int64_t rows_written) = 0;
  virtual Status record_run(const RunRecord& run) = 0;
  virtual Result<std::vector<TableState>> tables() = 0;
  virtual Result<std::vector<RunRecord>> recent_runs(const std::string& connector, const std::string& table,
                                                     int limit) = 0;
  // Forgets cursors (and totals) of one table, or of every table of a connector when table is empty.
  virtual Status reset(const std::string& connector, const std::string& table) = 0;

  // The last schema seen for a table, as opaque text (sync stores a JSON description).
  virtual Result<std::optional<std::string>> schema(const std::string& connector, const std::string& table) = 0;
  virtual Status save_schema(const std::string& connector, const std::string& table, const std::string& text) = 0;

  // The source's chunk versions as of the table's last complete sync, as opaque text (sync
  // stores one line per chunk); forgotten by reset().
  virtual Result<std::optional<std::string>> chunk_versions(const std::string& connector, const std::string& table) = 0;
  virtual Status save_chunk_versions(const std::string& connector, const std::string& table,
                                     const std::string& text) = 0;
};

}  // namespace tsyncd
