// sources: read time-ordered pages of rows from a time-series database.
//
// A Source is used by one sync at a time (it owns a keep-alive connection); make one per worker
// or per sync run. Every read is validated completely (framing, row count, value parsing) before
// a single row is returned, so a truncated or malformed page can never reach a destination.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/core.h"
#include "http/http.h"

namespace tsyncd {

struct SourceOptions {
  std::string type;       // "questdb" | "druid"
  std::string connector;  // connector name, for messages
  HttpOptions http;
  RetryPolicy retry;
  // Sync on this column instead of the designated timestamp (QuestDB); Druid always uses __time.
  std::optional<std::string> timestamp_column;
  // Natural key columns per table; key "*" applies to every table. When absent, QuestDB's
  // DEDUP UPSERT KEYS are used; with neither, rows are identified by all of their values.
  std::map<std::string, std::vector<std::string>> key_columns;
};

// One time chunk of a source's storage: [start, end) in the table's native unit, and a version
// that changes whenever a row in it is added, changed or removed.
struct ChunkVersion {
  int64_t start = 0;
  int64_t end = 0;
  std::string version;
};

class Source {
 public:
  virtual ~Source() = default;

  // Columns, types, the time column and unit, and the natural key, read from the server now.
  // A table that does not exist is a `not_found` error naming it.
  virtual Result<TableInfo> discover(const std::string& table, std::stop_token stop) = 0;

  // Min and max of the time column (and the row count when cheap); nullopt for an empty table.
  virtual Result<std::optional<Bounds>> bounds(const TableInfo& table, std::stop_token stop) = 0;

  // Rows with time in `range`, ordered by time, at most `limit` of them (0: no limit, used to read
  // one whole tie group). When exactly `limit` rows come back there may be more; the caller
  // continues from the last timestamp (inclusive). Retries transient failures internally.
  virtual Result<std::vector<Row>> read(const TableInfo& table, const TimeRange& range, size_t limit,
                                        std::stop_token stop) = 0;

  // The table's chunks, for sources that rewrite old data in place (Druid compaction, re-ingestion,
  // dropped segments): a sync re-reads every chunk whose version changed since its last run,
  // however far behind the cursor. nullopt: the source keeps no such record, lookback covers late
  // changes (QuestDB).
  virtual Result<std::optional<std::vector<ChunkVersion>>> chunk_versions(const TableInfo& table,
                                                                          std::stop_token stop) {
    (void)table;
    (void)stop;
    return std::optional<std::vector<ChunkVersion>>();
  }

  // "questdb localhost:9000" — for logs and /status; never contains a secret.
  virtual std::string describe() const = 0;
};

Result<std::unique_ptr<Source>> make_source(const SourceOptions& options);

}  // namespace tsyncd
