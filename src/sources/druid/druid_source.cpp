// DruidSource: discover, bounds and read for Druid datasources, each one SQL request wrapped in
// retry_loop together with its validation, so that a truncated or partial answer is retried
// exactly like a dropped connection and never reaches the caller.
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stop_token>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "sources/druid/druid.h"

namespace tsyncd {
namespace druid {
namespace {

constexpr const char* kTimeColumn = "__time";
// 500 UNCATEGORIZED/DEFENSIVE answers to one request before it counts as the query's own error.
constexpr int kMaxMaybeUserErrors = 3;

class DruidSource : public Source {
 public:
  explicit DruidSource(SourceOptions options)
      : options_(std::move(options)), client_(options_.http), ids_(std::random_device{}()) {}

  Result<TableInfo> discover(const std::string& table, std::stop_token stop) override;
  Result<std::optional<Bounds>> bounds(const TableInfo& table, std::stop_token stop) override;
  Result<std::vector<Row>> read(const TableInfo& table, const TimeRange& range, size_t limit,
                                std::stop_token stop) override;
  Result<std::optional<std::vector<ChunkVersion>>> chunk_versions(const TableInfo& table,
                                                                  std::stop_token stop) override;
  std::string describe() const override;

 private:
  using Consumer = std::function<Status(ArrayLinesBody&)>;
  // Sends `query` until it gets a complete 200 that `consume` accepts, or a non-retryable error.
  Status run(const DruidQuery& query, const std::string& datasource, std::stop_token stop, const Consumer& consume);
  std::string next_query_id();
  int64_t query_timeout_ms() const;
  // Asks Druid to cancel a running query, on a thread of its own: called from whichever thread
  // requests the stop (the event loop, at shutdown), which must not wait for the network.
  void cancel_query(const std::string& query_id);
  Result<std::vector<size_t>> key_indexes(const TableInfo& info) const;

  SourceOptions options_;
  std::mutex mutex_;  // one request at a time on the keep-alive connection
  HttpClient client_;
  std::mt19937_64 ids_;
  std::mutex cancel_mutex_;
  std::vector<std::jthread> cancellers_;  // last: joined before the members they use go away
};

std::string DruidSource::describe() const {
  const HttpOptions& h = options_.http;
  return "druid " + std::string(h.tls ? "https://" : "") + h.host + ":" + std::to_string(h.port);
}

std::string DruidSource::next_query_id() {
  char buf[40];
  std::snprintf(buf, sizeof buf, "tsyncd-%016llx", static_cast<unsigned long long>(ids_()));
  return buf;
}

// A little below the client's read timeout, so that Druid gives up (and frees its resources) before
// the client would, and answers 504 instead of leaving a query running for nobody.
int64_t DruidSource::query_timeout_ms() const {
  const int64_t read = options_.http.read_timeout.count();
  return std::max<int64_t>(1, read - std::max<int64_t>(read / 10, std::min<int64_t>(1000, read / 2)));
}

void DruidSource::cancel_query(const std::string& query_id) {
  std::lock_guard lock(cancel_mutex_);
  cancellers_.emplace_back([this, query_id] {
    try {
      HttpOptions quick = options_.http;
      quick.read_timeout = std::min(quick.read_timeout, Duration(std::chrono::seconds(5)));
      quick.connect_timeout = std::min(quick.connect_timeout, Duration(std::chrono::seconds(5)));
      HttpClient client(quick);
      HttpRequest request;
      request.method = "DELETE";
      request.target = "/druid/v2/sql/" + url_encode(query_id);
      auto response = client.send(request);
      // 202: cancelled. 404 or 403: it had already finished (or ran on another Broker), which is
      // just as good.
      if (!response)
        spdlog::warn("[{}] could not cancel Druid query {}: {}", options_.connector, query_id,
                     response.error().message);
      else if (response->status == 202)
        spdlog::info("[{}] cancelled Druid query {}: the run is stopping", options_.connector, query_id);
      else
        spdlog::debug("[{}] cancel of Druid query {}: HTTP {}", options_.connector, query_id, response->status);
    } catch (const std::exception& e) {
      spdlog::warn("[{}] could not cancel Druid query {}: {}", options_.connector, query_id, e.what());
    }
  });
}

// The query id ends the message, to find the query in Druid's logs.
Error tagged(Error e, const std::string& query_id) {
  e.message += " [sqlQueryId " + query_id + "]";
  return e;
}

Status DruidSource::run(const DruidQuery& query, const std::string& datasource, std::stop_token stop,
                        const Consumer& consume) {
  std::lock_guard lock(mutex_);
  int maybe_user_errors = 0;
  auto attempt = [&]() -> Status {
    const std::string id = next_query_id();
    HttpRequest request;
    request.method = "POST";
    request.target = "/druid/v2/sql";
    request.headers = {{"Accept", "application/json"}};
    request.content_type = "application/json";
    request.body = request_body(query, id, query_timeout_ms());
    // A shutdown cancels the query in Druid (apis/druid.md 7) instead of waiting up to the
    // timeout for it: the answer then ends early (500 or cut short) and is not used.
    if (stop.stop_requested()) return make_error(ErrorKind::cancelled, "shutdown requested");
    std::stop_callback cancel_on_stop(stop, [this, id] { cancel_query(id); });
    auto response = client_.send(request);
    if (!response) return response.error();
    if (response->status != 200) {
      Failure f = classify_failure(options_.http, *response, datasource);
      if (f.maybe_user_error && ++maybe_user_errors >= kMaxMaybeUserErrors) f.error.kind = ErrorKind::query;
      return tagged(f.error, id);
    }
    if (Status s = check_response_context(response->header("X-Druid-Response-Context")); !s)
      return tagged(s.error(), id);
    auto body = ArrayLinesBody::open(std::move(response->body));
    if (!body) return tagged(body.error(), id);
    if (Status s = consume(*body); !s) return tagged(s.error(), id);
    return ok_status();
  };
  auto on_retry = [&](const Error& e, int n, Duration wait) {
    spdlog::warn("[{}/{}] Druid request failed (attempt {}), retrying in {}: {}", options_.connector, datasource, n,
                 format_duration(wait), e.message);
  };
  return retry_loop(options_.retry, stop, attempt, on_retry);
}

// Checks a header's names against the expected column names, in order.
Status expect_names(const ResultHeader& header, const std::vector<std::string>& names) {
  if (header.names == names) return ok_status();
  return make_error(ErrorKind::protocol, "Druid answered with columns [" + join(header.names, ", ") +
                                             "] instead of [" + join(names, ", ") + "]");
}

Result<std::vector<size_t>> DruidSource::key_indexes(const TableInfo& info) const {
  auto it = options_.key_columns.find(info.name);
  if (it == options_.key_columns.end()) it = options_.key_columns.find("*");
  std::vector<size_t> out;
  if (it == options_.key_columns.end()) return out;  // Druid rows have no key: identity from all values
  for (const std::string& name : it->second) {
    auto idx = info.find(name);
    if (!idx)
      return make_error(ErrorKind::config, "key column '" + name + "' configured for datasource '" + info.name +
                                               "' does not exist");
    out.push_back(*idx);
  }
  return out;
}

Result<TableInfo> DruidSource::discover(const std::string& table, std::stop_token stop) {
  // The columns in ordinal order...
  std::vector<std::string> names, data_types;
  Status s = run(columns_query(table), table, stop, [&](ArrayLinesBody& body) -> Status {
    if (Status n = expect_names(body.header(), {"COLUMN_NAME", "DATA_TYPE"}); !n) return n;
    auto rows = body.rows({ColumnType::text, ColumnType::text}, std::nullopt);
    if (!rows) return rows.error();
    names.clear();
    data_types.clear();
    for (const Row& r : *rows) {
      const std::string* name = std::get_if<std::string>(&r.values[0]);
      const std::string* type = std::get_if<std::string>(&r.values[1]);
      if (!name || !type) return make_error(ErrorKind::protocol, "Druid listed a column without a name or type");
      names.push_back(*name);
      data_types.push_back(*type);
    }
    return ok_status();
  });
  if (!s) return s.error();

  // ...then their native types, which INFORMATION_SCHEMA does not show (ARRAY<LONG>, COMPLEX<json>),
  // from the header of an empty answer: exactly what every read will be checked against.
  ResultHeader header;
  auto keep_header = [&](ArrayLinesBody& body) -> Status {
    header = body.header();
    return ok_status();
  };
  if (names.empty()) {
    // INFORMATION_SCHEMA lists only the datasources the user may read, from metadata that can lag
    // behind ingestion. The datasource itself tells "forbidden" (403, an auth error) from
    // "does not exist" (400 Object not found), and names its columns when it does exist.
    s = run(probe_query(table), table, stop, keep_header);
    if (!s) return s.error();
    names = header.names;
    data_types = header.sql_types;
    if (names.empty())
      return make_error(ErrorKind::not_found, options_.http.what + ": datasource '" + table + "' has no columns");
  } else {
    s = run(typed_header_query(table, names), table, stop, [&](ArrayLinesBody& body) -> Status {
      if (Status n = expect_names(body.header(), names); !n) return n;
      return keep_header(body);
    });
    if (!s) return s.error();
  }
  if (std::find(names.begin(), names.end(), kTimeColumn) == names.end())
    return make_error(ErrorKind::protocol, "datasource '" + table + "' has no __time column");

  TableInfo info;
  info.name = table;
  info.time_unit = TimeUnit::ms;
  for (size_t i = 0; i < names.size(); ++i) {
    Column c;
    c.name = names[i];
    c.type = column_type(header.sql_types[i], header.native_types[i]);
    // The most specific name: ARRAY<STRING> rather than ARRAY, COMPLEX<HLLSketch> rather than OTHER.
    const std::string& native = header.native_types[i];
    c.source_type = native.rfind("ARRAY<", 0) == 0 || native.rfind("COMPLEX<", 0) == 0 ? native : data_types[i];
    if (c.name == kTimeColumn) {
      if (c.type != ColumnType::timestamp_ms)
        return make_error(ErrorKind::protocol, "datasource '" + table + "': __time is " + data_types[i]);
      info.time_index = i;
    }
    info.columns.push_back(std::move(c));
  }
  auto keys = key_indexes(info);
  if (!keys) return keys.error();
  info.key_indexes = std::move(*keys);
  return info;
}

Result<std::optional<Bounds>> DruidSource::bounds(const TableInfo& table, std::stop_token stop) {
  std::optional<Bounds> out;
  Status s = run(bounds_query(table), table.name, stop, [&](ArrayLinesBody& body) -> Status {
    if (Status n = expect_names(body.header(), {"min_ms", "max_ms", "row_count"}); !n) return n;
    auto rows = body.rows({ColumnType::int64, ColumnType::int64, ColumnType::int64}, std::nullopt);
    if (!rows) return rows.error();
    out.reset();
    // An aggregate over no rows: no row, a row of nulls, or (legacy null handling) MIN/MAX of
    // __time as Long.MAX/Long.MIN. All mean "empty".
    if (rows->empty()) return ok_status();
    if (rows->size() != 1) return make_error(ErrorKind::protocol, "Druid answered the bounds query with several rows");
    const Row& r = rows->front();
    const int64_t* lo = std::get_if<int64_t>(&r.values[0]);
    const int64_t* hi = std::get_if<int64_t>(&r.values[1]);
    const int64_t* count = std::get_if<int64_t>(&r.values[2]);
    if (!lo || !hi || (count && *count == 0) || *lo == std::numeric_limits<int64_t>::max() ||
        *hi == std::numeric_limits<int64_t>::min())
      return ok_status();
    if (*lo > *hi)
      return make_error(ErrorKind::protocol, "Druid answered a minimum __time after the maximum");
    out = Bounds{*lo, *hi, count ? *count : -1};
    return ok_status();
  });
  if (!s) return s.error();
  return out;
}

// A chunk is a segment interval, and its version is the set of its active segments, each named
// by Druid version and partition: a rewrite brings a new Druid version, an append a new partition
// under the old one, a drop removes segments. num_rows is left out on purpose: it is null until
// the Broker has the segment's metadata and grows inside realtime segments, so it would make
// unchanged chunks look rewritten.
Result<std::optional<std::vector<ChunkVersion>>> DruidSource::chunk_versions(const TableInfo& table,
                                                                             std::stop_token stop) {
  std::map<std::pair<int64_t, int64_t>, std::set<std::string>> intervals;
  Status s = run(segments_query(table.name), table.name, stop, [&](ArrayLinesBody& body) -> Status {
    if (Status n = expect_names(body.header(), {"start", "end", "version", "partition_num"}); !n) return n;
    auto rows = body.rows({ColumnType::text, ColumnType::text, ColumnType::text, ColumnType::int64}, std::nullopt);
    if (!rows) return rows.error();
    intervals.clear();
    for (const Row& r : *rows) {
      const std::string* start = std::get_if<std::string>(&r.values[0]);
      const std::string* end = std::get_if<std::string>(&r.values[1]);
      const std::string* version = std::get_if<std::string>(&r.values[2]);
      const int64_t* partition = std::get_if<int64_t>(&r.values[3]);
      if (!start || !end || !version || !partition)
        return make_error(ErrorKind::protocol,
                          "Druid listed a segment of " + table.name + " without start, end, version or partition_num");
      auto lo = parse_iso_time(*start, TimeUnit::ms);
      auto hi = parse_iso_time(*end, TimeUnit::ms);
      if (!lo || !hi || *lo >= *hi)
        return make_error(ErrorKind::protocol, "Druid listed a segment of " + table.name + " with the interval " +
                                                   *start + "/" + *end + ", which is not an exact UTC interval");
      intervals[{*lo, *hi}].insert(*version + "#" + std::to_string(*partition));
    }
    return ok_status();
  });
  if (!s) return s.error();
  std::vector<ChunkVersion> chunks;
  for (const auto& [range, segments] : intervals) {
    const std::vector<std::string> names(segments.begin(), segments.end());
    chunks.push_back(ChunkVersion{range.first, range.second, join(names, " ")});
  }
  return std::optional<std::vector<ChunkVersion>>(std::move(chunks));
}

Result<std::vector<Row>> DruidSource::read(const TableInfo& table, const TimeRange& range, size_t limit,
                                           std::stop_token stop) {
  if (range.empty()) return std::vector<Row>{};
  if (limit > kMaxPageRows)
    return make_error(ErrorKind::config, "page size " + std::to_string(limit) + " is above Druid's limit of " +
                                             std::to_string(kMaxPageRows) +
                                             " rows for a time-ordered query (maxRowsQueuedForOrdering)");
  std::vector<std::string> names;
  std::vector<ColumnType> types;
  for (const Column& c : table.columns) {
    names.push_back(c.name);
    types.push_back(c.type);
  }
  std::vector<Row> rows;
  Status s = run(read_query(table, range, limit), table.name, stop, [&](ArrayLinesBody& body) -> Status {
    const ResultHeader& h = body.header();
    if (Status n = expect_names(h, names); !n) return n;
    // A column whose type changed since discover() would be converted wrongly: fail, and let the
    // next sync discover the new schema.
    for (size_t i = 0; i < types.size(); ++i)
      if (column_type(h.sql_types[i], h.native_types[i]) != types[i])
        return make_error(ErrorKind::protocol, "column '" + names[i] + "' is now " + h.sql_types[i] + " (" +
                                                   h.native_types[i] + "), it was " +
                                                   table.columns[i].source_type + " when the table was discovered");
    if (limit > 0 && body.row_count() > limit)
      return make_error(ErrorKind::protocol, "Druid answered " + std::to_string(body.row_count()) +
                                                 " rows to a query with LIMIT " + std::to_string(limit));
    auto parsed = body.rows(types, table.time_index);
    if (!parsed) return parsed.error();
    rows = std::move(*parsed);
    return ok_status();
  });
  if (!s) return s.error();
  if (limit == 0 && !(range.hi_inclusive && range.lo == range.hi))
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ts < b.ts; });
  return rows;
}

}  // namespace
}  // namespace druid

Result<std::unique_ptr<Source>> make_druid_source(const SourceOptions& options) {
  if (options.timestamp_column && *options.timestamp_column != "__time")
    return make_error(ErrorKind::config, "connector '" + options.connector + "': timestamp_column '" +
                                             *options.timestamp_column +
                                             "' is not supported for Druid, which always syncs on __time");
  SourceOptions o = options;
  if (o.http.what.empty())
    o.http.what = "druid connector '" + o.connector + "' at " + o.http.host + ":" + std::to_string(o.http.port);
  return std::unique_ptr<Source>(std::make_unique<druid::DruidSource>(std::move(o)));
}

}  // namespace tsyncd
