// Rendering of the status snapshot: /status JSON, /metrics Prometheus text, /healthz verdict.
#include <algorithm>
#include <cmath>

#include "status.h"

namespace tsyncd {
namespace {

std::string iso_ms(int64_t unix_ms) { return format_iso_time(unix_ms, TimeUnit::ms); }

std::optional<double> lag_seconds(const TableStatus& t) {
  if (!t.cursor || !t.source_max) return std::nullopt;
  return std::max<double>(0, static_cast<double>(*t.source_max - *t.cursor) /
                                 static_cast<double>(units_per_second(t.unit)));
}

void field(std::string& out, std::string_view name, const std::string& json_value, bool& first) {
  if (!first) out += ',';
  first = false;
  out += json_quote(name);
  out += ':';
  out += json_value;
}

std::string opt_time(const std::optional<int64_t>& ms) { return ms ? json_quote(iso_ms(*ms)) : "null"; }

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// Prometheus label values escape backslash, quote and newline.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

int64_t failing_threshold_ms(const TableStatus& t) { return std::max<int64_t>(5 * 60 * 1000, 3 * t.sync_every_ms); }

}  // namespace

std::string render_status_json(const StatusSnapshot& s) {
  std::string out = "{";
  bool first = true;
  field(out, "version", json_quote(s.version), first);
  field(out, "started", json_quote(iso_ms(s.started_ms)), first);
  field(out, "now", json_quote(iso_ms(s.generated_ms)), first);
  field(out, "config", json_quote(s.config_path), first);
  field(out, "config_error", s.config_error.empty() ? "null" : json_quote(s.config_error), first);
  out += ",\"tables\":[";
  for (size_t i = 0; i < s.tables.size(); ++i) {
    const TableStatus& t = s.tables[i];
    if (i) out += ',';
    out += '{';
    bool f = true;
    field(out, "connector", json_quote(t.connector), f);
    field(out, "table", json_quote(t.table), f);
    field(out, "source", json_quote(t.source), f);
    field(out, "state", json_quote(t.state), f);
    field(out, "cursor",
          t.cursor ? "{\"iso\":" + json_quote(format_iso_time(*t.cursor, t.unit)) +
                         ",\"native\":" + std::to_string(*t.cursor) + ",\"unit\":" + json_quote(to_string(t.unit)) + "}"
                   : "null",
          f);
    field(out, "source_max",
          t.source_max ? "{\"iso\":" + json_quote(format_iso_time(*t.source_max, t.unit)) +
                             ",\"native\":" + std::to_string(*t.source_max) + "}"
                       : "null",
          f);
    auto lag = lag_seconds(t);
    field(out, "lag_seconds", lag ? number(*lag) : "null", f);
    field(out, "rows", "{\"last_run\":" + std::to_string(t.rows_last_run) + ",\"total\":" + std::to_string(t.rows_total) + "}",
          f);
    field(out, "runs", "{\"ok\":" + std::to_string(t.runs_ok) + ",\"failed\":" + std::to_string(t.runs_failed) + "}", f);
    field(out, "last_success", opt_time(t.last_success_ms), f);
    field(out, "last_failure", opt_time(t.last_failure_ms), f);
    field(out, "failing_since", opt_time(t.failing_since_ms), f);
    field(out, "last_error", t.last_error.empty() ? "null" : json_quote(t.last_error), f);
    field(out, "next_run", opt_time(t.next_run_ms), f);
    field(out, "sync_every", json_quote(format_duration(Duration(t.sync_every_ms))), f);
    out += '}';
  }
  out += "]}\n";
  return out;
}

std::string render_metrics(const StatusSnapshot& s) {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  };
  auto sample = [&](const char* name, const TableStatus& t, const std::string& extra_labels, const std::string& value) {
    out += name;
    out += "{connector=\"" + label(t.connector) + "\",table=\"" + label(t.table) + "\"" + extra_labels + "} " + value + "\n";
  };
  family("tsyncd_up", "gauge", "1 while the daemon runs.");
  out += "tsyncd_up 1\n";
  family("tsyncd_config_reload_failed", "gauge", "1 when the last configuration reload was rejected.");
  out += "tsyncd_config_reload_failed " + std::string(s.config_error.empty() ? "0" : "1") + "\n";
  family("tsyncd_rows_written_total", "counter", "Rows written to the destination (re-reads included).");
  for (const auto& t : s.tables) sample("tsyncd_rows_written_total", t, "", std::to_string(t.rows_total));
  family("tsyncd_sync_runs_total", "counter", "Completed sync runs by result.");
  for (const auto& t : s.tables) {
    sample("tsyncd_sync_runs_total", t, ",result=\"ok\"", std::to_string(t.runs_ok));
    sample("tsyncd_sync_runs_total", t, ",result=\"error\"", std::to_string(t.runs_failed));
  }
  family("tsyncd_table_state", "gauge", "1 for the table's current state.");
  for (const auto& t : s.tables)
    for (const char* state : {"idle", "running", "backing_off", "failed"})
      sample("tsyncd_table_state", t, std::string(",state=\"") + state + "\"", t.state == state ? "1" : "0");
  family("tsyncd_lag_seconds", "gauge", "Source max time minus the cursor, in seconds.");
  for (const auto& t : s.tables)
    if (auto lag = lag_seconds(t)) sample("tsyncd_lag_seconds", t, "", number(*lag));
  family("tsyncd_last_success_timestamp_seconds", "gauge", "Unix time of the last successful run.");
  for (const auto& t : s.tables)
    if (t.last_success_ms) sample("tsyncd_last_success_timestamp_seconds", t, "", number(*t.last_success_ms / 1000.0));
  return out;
}

bool is_healthy(const StatusSnapshot& s, int64_t now_ms, std::string* reason) {
  for (const auto& t : s.tables) {
    if (t.failing_since_ms && now_ms - *t.failing_since_ms > failing_threshold_ms(t)) {
      if (reason)
        *reason = t.connector + "/" + t.table + " has been failing since " + iso_ms(*t.failing_since_ms) + ": " +
                  t.last_error;
      return false;
    }
  }
  return true;
}

}  // namespace tsyncd
