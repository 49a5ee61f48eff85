// FakeDruid: an Apache Druid Router/Broker SQL endpoint (POST /druid/v2/sql) in memory, on a
// loopback port, that answers the way a real Druid 36/37 does byte for byte (checked against the
// recordings in shared/fixtures/druid by the druid_conformance suite), plus the failures a sync
// client must survive, armed by tests.
//
// What it implements (shared/apis/druid.md section 10):
// - datasources with Druid's column types; rows kept in __time order. Real Druid gives no order
//   within one __time (a "tie"), so every read shuffles each tie group with a fresh deterministic
//   seed: a client that relies on tie order fails its tests here.
// - the SQL of sql.h: column lists or *, WHERE on __time (MILLIS_TO_TIMESTAMP(?), TIMESTAMP
//   parameters and literals) and on other columns, ORDER BY __time with LIMIT/OFFSET (other
//   ORDER BY on a scan is rejected like Druid, E13; time ordering above 100000 rows with many
//   segments per chunk is the resource-limit error of section 4.3), MIN/MAX/COUNT(*),
//   TIMESTAMP_TO_MILLIS, INFORMATION_SCHEMA.TABLES and .COLUMNS, sys.segments; typed `?`
//   parameters.
// - a segment timeline per time chunk, because a sync client learns from sys.segments which chunks
//   were rewritten: an append adds a partition under the chunk's version, a rewrite (re-ingestion,
//   delete, compaction) gives the chunk a later version, an emptied chunk loses its segments.
//   sys.segments shows only the active segments, and only of datasources the user may read.
// - every result format with header/typesHeader/sqlTypesHeader, Druid's value rendering, the
//   response headers, error envelopes, Content-Type rules (>= 35, or 34.0.0's charset bug), and
//   druid-basic-security's 401/403 answers.
// Known differences from a real server: see fake_druid.cpp's top comment. Misuse by a test (an
// unknown datasource, a row with more values than columns) throws std::invalid_argument.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd::fakes {

struct DruidColumn {
  std::string name;
  std::string sql_type;     // in sqlTypesHeader: TIMESTAMP VARCHAR BIGINT FLOAT DOUBLE ARRAY OTHER
  std::string native_type;  // in typesHeader: LONG STRING FLOAT DOUBLE ARRAY<STRING> COMPLEX<json>
  std::string data_type;    // INFORMATION_SCHEMA.COLUMNS.DATA_TYPE: COMPLEX<json> for json, else sql_type

  static DruidColumn varchar(std::string name);  // strings, also multi-value strings
  static DruidColumn bigint(std::string name);
  static DruidColumn float32(std::string name);
  static DruidColumn float64(std::string name);
  static DruidColumn json(std::string name);                            // COMPLEX<json>
  static DruidColumn array(std::string name, std::string element);      // ARRAY<STRING|LONG|DOUBLE>
  static DruidColumn complex(std::string name, std::string type_name);  // e.g. COMPLEX<HLLSketch>
};

// One row: __time in epoch milliseconds and one value per column after __time, in column order.
// NULL is monostate; BIGINT columns hold int64; DOUBLE and FLOAT columns hold a double (a FLOAT
// column renders the value rounded to float32); every other column holds the text Druid renders:
// the string for VARCHAR, the JSON text for ARRAY and COMPLEX<json> ("[\"a\",null]"), and for a
// multi-value row the JSON array of its strings ("[\"x\",\"y\"]"), which Druid also sends as text.
struct DruidRow {
  int64_t time = 0;
  std::vector<Value> values;
};

enum class DruidFault {
  truncate_after_rows,  // 200, the body stops after `rows` rows as in druid.md 2.3 (framing intact)
  missing_terminator,   // 200, every row, but not the format's final "\n\n" / "]\n"
  missing_segments,     // 200, complete body without the rows of the last UTC day in the answer, and
                        //   X-Druid-Response-Context naming that day's segment as missing
  capacity_429,         // E16 (Retry-After: retry_after_s when > 0)
  timeout_504,          // E15
  uncategorized_500,    // E17: "/ by zero", category UNCATEGORIZED
  runtime_failure_500,  // legacy-compat RUNTIME_FAILURE, as recorded in fixture 097
  bad_gateway_502,      // the Router cannot reach a Broker
  unavailable_503,
  close_connection,     // the socket is closed without any response (Jetty queue full)
  delay,                // the normal answer, after delay_ms
};

struct FaultSpec {
  explicit FaultSpec(DruidFault kind, int times = 1, std::string match = {})
      : kind(kind), times(times), match(std::move(match)) {}
  // A 200 cut after `rows` rows.
  static FaultSpec truncate_after(size_t rows, int times = 1, std::string match = {}) {
    FaultSpec f(DruidFault::truncate_after_rows, times, std::move(match));
    f.rows = rows;
    return f;
  }

  DruidFault kind;
  int times = 1;          // how many matching requests it applies to
  std::string match;      // applies to SQL requests whose query contains this text ("" = every one)
  size_t rows = 0;        // truncate_after_rows: rows written before the cut
  int delay_ms = 0;       // delay
  int retry_after_s = 0;  // capacity_429
};

// What a MIN/MAX/COUNT over zero rows answers; real clusters differ (druid.md 4.2, 3).
enum class EmptyAggregates {
  null_row,  // one row: nulls for MIN/MAX, 0 for COUNT (SQL-compatible null handling)
  no_row,    // no row at all
  legacy,    // legacy null mode: MIN/MAX of __time are Long.MAX/Long.MIN, COUNT 0
};

struct FakeDruidOptions {
  int port = 0;  // 0: a free loopback port
  // Basic auth users (druid-basic-security) when not empty: user -> password.
  std::map<std::string, std::string> users;
  bool shuffle_ties = true;
  uint64_t seed = 20261001;  // tie shuffles are deterministic for a seed and a request number
  // Emulated segments per time chunk: above 50, time-ordered scans over more than 100000 rows
  // (or without LIMIT) fail with "Resource limit exceeded" like Druid's n-way merge (section 4.3).
  int segments_per_time_chunk = 63;
  // The time chunks of sys.segments (DAY by default), aligned to the epoch. The merge limit above
  // does not depend on them: it stands for a cluster with many segments per chunk.
  int64_t segment_granularity_ms = 86400000;
  EmptyAggregates empty_aggregates = EmptyAggregates::null_row;
  bool reject_json_charset = false;  // Druid 34.0.0: "application/json; charset=..." is rejected
  std::string data_server = "localhost:8083";  // "host" in legacy error envelopes
  std::string router_host = "localhost:8888";  // "host" of the 401 body
};

// One request as received, for tests that check what the client sent.
struct DruidRequestRecord {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string query;  // the SQL text, when the body could be read
  int status = 0;     // 0: the connection was closed without a response
};

class FakeDruid {
 public:
  explicit FakeDruid(FakeDruidOptions options = {});
  ~FakeDruid();
  FakeDruid(const FakeDruid&) = delete;
  FakeDruid& operator=(const FakeDruid&) = delete;

  int port() const;
  void stop();

  // ---- data (thread-safe; visible to the next request) ----
  // Creates or replaces a datasource; `columns` are the columns after __time.
  void create_datasource(const std::string& name, std::vector<DruidColumn> columns);
  void drop_datasource(const std::string& name);
  // An unavailable datasource is invisible (E12 "Object not found", absent from
  // INFORMATION_SCHEMA) but keeps its rows, like one whose Historicals are down.
  void set_available(const std::string& name, bool available);
  // Whether INFORMATION_SCHEMA lists the datasource (a Broker's metadata can lag behind a new
  // datasource that queries already reach).
  void set_listed(const std::string& name, bool listed);
  // Adds a column after the existing ones; existing rows read NULL in it.
  void add_column(const std::string& datasource, DruidColumn column);
  // Inserts rows; rows with equal __time keep their insertion order in storage.
  void append(const std::string& datasource, std::vector<DruidRow> rows);
  // Removes the rows with lo <= __time < hi; returns how many.
  size_t delete_rows(const std::string& datasource, int64_t lo, int64_t hi);
  // Re-ingestion of a time chunk: rows in [lo, hi) are replaced by `rows` (which must lie in it).
  void replace_interval(const std::string& datasource, int64_t lo, int64_t hi, std::vector<DruidRow> rows);
  // Compaction with rollup of [lo, hi): rows with equal __time and equal values in every column
  // except `metrics` merge into one row whose metrics are the sums. Returns the rows removed.
  size_t compact(const std::string& datasource, int64_t lo, int64_t hi, const std::set<std::string>& metrics);
  std::vector<DruidRow> rows(const std::string& datasource) const;  // storage order
  std::vector<DruidColumn> columns(const std::string& datasource) const;  // including __time
  // The active version of each time chunk that holds rows, by chunk start.
  std::map<int64_t, std::string> chunk_versions(const std::string& datasource) const;

  // ---- security ----
  // With users configured: `user` gets 403 for queries on `datasource`.
  void deny(const std::string& user, const std::string& datasource);

  // ---- failures ----
  void arm(FaultSpec fault);
  void clear_faults();
  size_t armed_faults() const;  // faults with uses left
  size_t queries_running() const;  // SQL queries being answered right now (cancellable by id)

  // ---- request log ----
  std::vector<DruidRequestRecord> requests() const;
  void clear_requests();
  size_t request_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tsyncd::fakes
