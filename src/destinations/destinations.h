// destinations: where synced rows land (an SQLite file or a PostgreSQL database).
//
// A Destination object is one connection, used by one thread at a time; table runs take one from
// a DestinationPool and give it back, so each worker keeps its connection from run to run.
//
// Every destination table has the user's columns under their source names plus
//   _tsync_ts (native integer time), _tsync_key (64-bit row key), _tsync_dup (duplicate index),
//   _tsync_synced_at (when the row was written, not part of the key)
// with PRIMARY KEY (_tsync_ts, _tsync_key, _tsync_dup). Names are quoted, never sanitized.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd {

struct DestinationOptions {
  std::string type = "sqlite";  // "sqlite" | "postgres"
  std::string path;             // sqlite: database file
  std::string dsn;              // postgres: libpq connection string (without the password)
  std::string password;         // postgres: resolved from password_file / credentials; never logged
};

// Which destination table: SQLite "<connector>__<table>", PostgreSQL schema <connector>, table <table>.
struct TableRef {
  std::string connector;
  std::string table;
};

class Destination {
 public:
  virtual ~Destination() = default;

  // Creates the table if needed and adds columns the source gained. Never drops a column or user
  // data; a column whose type changed is a `destination` error naming table, column, both types.
  virtual Status ensure_table(const TableRef& ref, const TableInfo& info) = 0;

  // In ONE transaction: delete every row whose _tsync_ts is in `range`, then insert `rows` (all of
  // which lie in `range`, with key and dup set). Either all of it commits or none of it.
  virtual Status replace_range(const TableRef& ref, const TableInfo& info, const TimeRange& range,
                               const std::vector<Row>& rows) = 0;

  // Rows currently in the table (0 if it does not exist); for `tsyncd state show` and tests.
  virtual Result<int64_t> count_rows(const TableRef& ref) = 0;

  // "sqlite table \"sensors__trades\"": for log lines and errors.
  virtual std::string describe(const TableRef& ref) const = 0;
};

Result<std::unique_ptr<Destination>> open_destination(const DestinationOptions& options);

// Opened destinations kept between table runs. Opening a PostgreSQL connection costs round trips
// and authentication (and TLS); a run takes an idle one instead and gives it back when it ends,
// so there are never more connections than the most runs that ran at once. Any thread.
class DestinationPool {
 public:
  explicit DestinationPool(DestinationOptions options) : options_(std::move(options)) {}

  // An idle destination, or a newly opened one.
  Result<std::unique_ptr<Destination>> take();
  // Keeps `destination` for a later take(), or closes it when `reuse` is false (after a
  // destination error: the next run starts on a fresh connection, whatever went wrong).
  void give_back(std::unique_ptr<Destination> destination, bool reuse);

 private:
  const DestinationOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Destination>> idle_;
};

// The destination column type names for a source column (the README's mapping table is generated
// from these and tested against them).
std::string sqlite_column_type(const Column& column);
std::string postgres_column_type(const Column& column);

}  // namespace tsyncd
