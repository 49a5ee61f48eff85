// engine: runs one SQL request against the fake's datasources and renders the answer. Everything
// here is a pure function of the catalog and the request, so it is called under the fake's read
// lock and tested without sockets.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fakes/druid/answers.h"
#include "fakes/druid/fake_druid.h"

namespace tsyncd::fakes::druid_detail {

// The segments of one time chunk as Druid's timeline has them: appends add partitions to the
// chunk's version, rewrites (re-ingestion, deletes, compaction) replace it by a later version.
// Only the active (not overshadowed) version is kept: tsyncd filters on is_active = 1.
struct TimeChunk {
  std::string version;
  int64_t partitions = 1;
};

struct Datasource {
  std::vector<DruidColumn> columns;  // columns[0] is __time
  std::vector<DruidRow> rows;        // ordered by time; ties in insertion order
  std::map<int64_t, TimeChunk> chunks;  // by chunk start; a chunk is here iff it holds rows
  bool available = true;
  bool listed = true;  // in INFORMATION_SCHEMA
};

struct Catalog {
  std::map<std::string, Datasource> datasources;
  std::set<std::pair<std::string, std::string>> denied;  // (user, datasource)
  int64_t segment_granularity_ms = 86400000;
  int64_t versions_created = 0;  // every new version is a later timestamp, across datasources
};

// The time chunk [start, end) that holds `time`: chunks are aligned to multiples of the
// granularity since the epoch, also before it. The first and last chunk are cut at the int64 range.
int64_t chunk_start(int64_t time, int64_t granularity_ms);
int64_t chunk_end(int64_t start, int64_t granularity_ms);

// A typed `?` value from the request's "parameters".
struct Parameter {
  enum class Json { null, integer, number, string, boolean, array };
  std::string type;  // upper-cased SQL type name
  Json json = Json::null;
  int64_t integer = 0;
  double number = 0;
  std::string text;  // string value, or the raw JSON of an array
  bool boolean = false;
};

struct QuerySpec {
  std::string sql;
  std::vector<Parameter> parameters;
  ResultFormat format = ResultFormat::object;
  bool header = false, types_header = false, sql_types_header = false;
  bool stringify_arrays = true;
  std::optional<int64_t> outer_limit;  // context.sqlOuterLimit
  std::string user;                    // the authenticated user; empty without auth
};

struct EngineSettings {
  bool shuffle_ties = true;
  uint64_t tie_seed = 0;  // already mixed with the request number
  int segments_per_time_chunk = 63;
  EmptyAggregates empty_aggregates = EmptyAggregates::null_row;
  std::string data_server;
};

// Faults that shape a successful answer.
struct BodyFaults {
  size_t truncate_after_rows = std::numeric_limits<size_t>::max();
  bool omit_terminator = false;
  bool drop_last_day = false;  // and report it in missingSegments
};

struct Answer {
  int status = 200;
  std::string body;
  std::string response_context;  // success only: X-Druid-Response-Context
  bool query_ids = true;          // X-Druid-SQL-Query-Id / X-Druid-Query-Id present
  bool header_included = true;    // X-Druid-SQL-Header-Included when the request asked for a header
};

Answer run_query(const Catalog& catalog, const EngineSettings& settings, const QuerySpec& spec,
                 const BodyFaults& faults);

}  // namespace tsyncd::fakes::druid_detail
