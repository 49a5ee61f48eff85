// One run of one table, shared by the scheduler's workers and `tsyncd sync --once`.
#include <spdlog/spdlog.h>

#include <chrono>

#include "scheduler.h"

namespace tsyncd {

SourceOptions source_options(const ConnectorConfig& c) {
  SourceOptions o;
  o.type = c.type;
  o.connector = c.name;
  o.http.host = c.host;
  o.http.port = c.port;
  o.http.tls = c.tls;
  o.http.ca_file = c.ca_file;
  o.http.tls_verify = c.tls_verify;
  o.http.username = c.username;
  o.http.password = c.password;
  o.http.read_timeout = c.timeout;
  o.http.connect_timeout = std::min(c.timeout, Duration(std::chrono::seconds(10)));
  o.http.what = c.type + " connector '" + c.name + "' at " + c.host + ":" + std::to_string(c.port);
  o.timestamp_column = c.timestamp_column;
  o.key_columns = c.key_columns;
  return o;
}

SyncSettings sync_settings(const ConnectorConfig& c) {
  SyncSettings s;
  s.page_size = c.page_size;
  s.lookback = c.lookback;
  s.settle = c.settle;
  return s;
}

DestinationOptions destination_options(const DestinationConfig& d) {
  DestinationOptions o;
  o.type = d.type;
  o.path = d.path;
  o.dsn = d.dsn;
  o.password = d.password;
  return o;
}

Result<SyncOutcome> run_table(const ConnectorConfig& connector, const std::string& table, StateStore& state,
                              DestinationPool& destinations, const std::optional<ResyncRange>& resync,
                              std::stop_token stop, const ProgressFn& progress) {
  const auto started = std::chrono::steady_clock::now();
  RunRecord run;
  run.connector = connector.name;
  run.table = table;
  run.kind = resync ? "resync" : "sync";
  run.started_at_ms = now_in(TimeUnit::ms);

  Result<SyncOutcome> result = [&]() -> Result<SyncOutcome> {
    auto source = make_source(source_options(connector));
    if (!source) return source.error();
    auto dest = destinations.take();
    if (!dest) return dest.error();
    SyncJob job{**source, **dest, state, TableRef{connector.name, table}, sync_settings(connector), resync};
    Result<SyncOutcome> outcome = run_sync(job, stop, progress);
    destinations.give_back(std::move(*dest), outcome.ok() || outcome.error().kind != ErrorKind::destination);
    return outcome;
  }();

  run.finished_at_ms = now_in(TimeUnit::ms);
  run.ok = result.ok();
  if (result) run.rows = result->rows_written;
  else run.error = result.error().message;
  if (Status s = state.record_run(run); !s)
    spdlog::warn("[{}/{}] could not record the run: {}", connector.name, table, s.error().message);

  if (result) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto level = result->rows_written > 0 || resync ? spdlog::level::info : spdlog::level::debug;
    spdlog::log(level, "[{}/{}] {} {} rows in {} pages, {:.2f} s{}{}", connector.name, table,
                resync ? "resynced" : "synced", result->rows_written, result->pages, seconds,
                result->cursor ? ", cursor " + format_iso_time(*result->cursor, result->unit) : std::string(),
                result->interrupted ? " (stopped early for shutdown)" : "");
  }
  return result;
}

}  // namespace tsyncd
