// sync: one incremental sync of one table (architecture section 4).
//
// The invariant that makes every crash harmless: a cursor is committed to the state store only
// after the destination transaction holding every row below it has committed, and every write
// replaces a whole closed-off time range. Re-reading a range therefore converges to the source's
// rows in it, whatever was written before.
#pragma once

#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include "core/core.h"
#include "destinations/destinations.h"
#include "sources/sources.h"
#include "state/state.h"

namespace tsyncd {

struct SyncSettings {
  size_t page_size = 10000;
  Duration lookback{0};  // re-read this far behind the cursor every sync (late rows, updates, deletes)
  Duration settle{0};    // ignore rows newer than now - settle (sources that show rows late)
};

// What to re-read on a resync; nullopt bounds mean the table's min / max.
struct ResyncRange {
  std::optional<std::string> from_iso;  // inclusive
  std::optional<std::string> to_iso;    // inclusive
};

struct SyncOutcome {
  int64_t rows_written = 0;
  int64_t pages = 0;
  bool interrupted = false;            // stop was requested; everything written is consistent
  std::optional<int64_t> cursor;       // resume point after this run (native unit)
  std::optional<int64_t> source_max;   // the frozen upper bound of this run
  TimeUnit unit = TimeUnit::us;
  std::string time_column;
};

// Called after every committed page range, from the syncing thread.
using ProgressFn = std::function<void(const SyncOutcome& so_far)>;

struct SyncJob {
  Source& source;
  Destination& destination;
  StateStore& state;
  TableRef ref;  // connector + table
  SyncSettings settings;
  std::optional<ResyncRange> resync;  // set: re-read this range instead of continuing from the cursor
};

// Runs one sync. Returns what was done; errors carry their kind (auth fails the connector,
// everything else the table) and name the table.
Result<SyncOutcome> run_sync(const SyncJob& job, std::stop_token stop, const ProgressFn& progress = {});

// Fills Row::key and Row::dup for a batch of rows ordered by ts that holds every row of each of
// its timestamps: key = 64-bit hash of the key columns (all columns when `key_indexes` is empty),
// dup = 0..n-1 among rows with equal (ts, key). Exposed for tests.
void assign_row_identity(std::vector<Row>& rows, const std::vector<size_t>& key_indexes);

// Chunk versions as stored in the state store: one "start end hash-of-version" line per chunk.
// decode returns nullopt for text it cannot read (the sync then treats it as never stored).
std::string encode_chunk_versions(const std::vector<ChunkVersion>& chunks);
std::optional<std::vector<ChunkVersion>> decode_chunk_versions(const std::string& text);
// The half-open ranges [lo, hi) covered by chunks that are new, gone or of another version in
// `now` than in `before`; merged where they touch, ascending. Both must be encoded the same way.
std::vector<TimeRange> changed_chunks(const std::vector<ChunkVersion>& before, const std::vector<ChunkVersion>& now);

// The schema text stored in the state store (to notice and log schema changes once).
std::string describe_schema(const TableInfo& info);

}  // namespace tsyncd
