#include "scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace tsyncd {
namespace {

int64_t unix_ms() { return now_in(TimeUnit::ms); }

// Errors that will not go away by themselves show as "failed"; the rest as "backing_off".
bool needs_attention(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::auth:
    case ErrorKind::query:
    case ErrorKind::not_found:
    case ErrorKind::config:
    case ErrorKind::internal:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct Scheduler::Table {
  Table(asio::io_context& io) : timer(io) {}
  ConnectorConfig connector;
  std::string name;
  asio::steady_timer timer;
  TableStatus status;
  bool running = false;
  bool queued = false;
  bool removed = false;  // dropped from the config while running: erase when it finishes
  bool pending_sync = false;
  std::optional<ResyncRange> pending_resync;
  std::optional<ResyncRange> current_resync;
  int failures = 0;  // consecutive
  std::stop_source stop;
  std::thread worker;
};

Scheduler::Scheduler(asio::io_context& io, StateStore& state, DestinationOptions destination)
    : io_(io), state_(state), destinations_(std::move(destination)), random_(std::random_device{}()),
      started_ms_(unix_ms()) {
  publish();
}

Scheduler::~Scheduler() {
  for (auto& [key, table] : tables_) {
    table->stop.request_stop();
    if (table->worker.joinable()) table->worker.join();
  }
}

Duration Scheduler::jittered(Duration d, double fraction) {
  if (d.count() <= 0) return d;
  std::uniform_real_distribution<double> dist(1.0 - fraction, 1.0 + fraction);
  return Duration(static_cast<int64_t>(static_cast<double>(d.count()) * dist(random_)));
}

void Scheduler::apply(const Config& config) {
  max_parallel_ = std::max(1, config.max_parallel);
  config_path_ = config.path;
  auto stored = state_.tables();
  std::map<Key, TableState> known;
  if (stored) {
    for (auto& s : *stored) known[{s.connector, s.table}] = s;
  } else {
    spdlog::warn("could not read the state store: {}", stored.error().message);
  }

  std::map<Key, bool> wanted;
  for (const ConnectorConfig& c : config.connectors) {
    for (const std::string& name : c.tables) {
      Key key{c.name, name};
      wanted[key] = true;
      auto it = tables_.find(key);
      if (it != tables_.end()) {
        it->second->connector = c;  // takes effect at the next run
        it->second->removed = false;
        it->second->status.sync_every_ms = c.sync_every.count();
        continue;
      }
      auto table = std::make_unique<Table>(io_);
      table->connector = c;
      table->name = name;
      TableStatus& st = table->status;
      st.connector = c.name;
      st.table = name;
      st.source = c.type + " " + c.host + ":" + std::to_string(c.port);
      st.state = "idle";
      st.sync_every_ms = c.sync_every.count();
      if (auto k = known.find(key); k != known.end()) {
        if (k->second.cursor) {
          st.cursor = k->second.cursor->resume_ts;
          st.unit = k->second.cursor->unit;
        }
        st.rows_total = k->second.rows_total;
        st.last_success_ms = k->second.last_success_ms;
        st.last_failure_ms = k->second.last_failure_ms;
        st.last_error = k->second.last_error;
      }
      Table& ref = *table;
      tables_.emplace(key, std::move(table));
      // Spread the first runs a little so that many tables do not hit a source at one instant.
      schedule(ref, jittered(std::min(c.sync_every, Duration(1000)), 0.5));
      spdlog::info("[{}/{}] scheduled every {} from {}", c.name, name, format_duration(c.sync_every), ref.status.source);
    }
  }
  for (auto it = tables_.begin(); it != tables_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    Table& t = *it->second;
    spdlog::info("[{}/{}] removed from the configuration", t.connector.name, t.name);
    t.timer.cancel();
    std::erase(ready_, it->first);
    if (t.running) {
      t.removed = true;
      t.stop.request_stop();
      ++it;
    } else {
      it = tables_.erase(it);
    }
  }
  publish();
  start_ready();
}

void Scheduler::schedule(Table& table, Duration delay) {
  if (shutting_down_ || table.removed) return;
  table.status.next_run_ms = unix_ms() + delay.count();
  table.timer.expires_after(delay);
  Key key{table.connector.name, table.name};
  table.timer.async_wait([this, key](const asio::error_code& ec) {
    if (ec) return;  // cancelled: rescheduled, triggered, removed or shutting down
    auto it = tables_.find(key);
    if (it != tables_.end()) enqueue(*it->second);
  });
}

void Scheduler::enqueue(Table& table) {
  if (shutting_down_ || table.removed) return;
  if (table.running) {
    table.pending_sync = true;
    return;
  }
  if (table.queued) return;
  table.queued = true;
  table.status.next_run_ms = unix_ms();
  ready_.push_back({table.connector.name, table.name});
  start_ready();
}

void Scheduler::start_ready() {
  while (!shutting_down_ && running_ < max_parallel_ && !ready_.empty()) {
    Key key = ready_.front();
    ready_.erase(ready_.begin());
    auto it = tables_.find(key);
    if (it == tables_.end()) continue;
    it->second->queued = false;
    start(*it->second);
  }
  publish();
}

void Scheduler::start(Table& table) {
  table.running = true;
  ++running_;
  table.status.state = "running";
  table.status.next_run_ms.reset();
  table.stop = std::stop_source();
  table.current_resync = std::move(table.pending_resync);
  table.pending_resync.reset();
  table.pending_sync = false;
  if (table.worker.joinable()) table.worker.join();

  Key key{table.connector.name, table.name};
  ConnectorConfig connector = table.connector;
  std::optional<ResyncRange> resync = table.current_resync;
  std::stop_token stop = table.stop.get_token();
  table.worker = std::thread([this, key, connector, resync, stop] {
    ProgressFn progress = [this, key](const SyncOutcome& so_far) {
      asio::post(io_, [this, key, so_far] {
        auto it = tables_.find(key);
        if (it == tables_.end()) return;
        TableStatus& st = it->second->status;
        st.cursor = so_far.cursor;
        st.unit = so_far.unit;
        st.source_max = so_far.source_max;
        st.rows_last_run = so_far.rows_written;
        publish();
      });
    };
    Result<SyncOutcome> result = make_error(ErrorKind::internal, "sync did not run");
    try {
      result = run_table(connector, key.second, state_, destinations_, resync, stop, progress);
    } catch (const std::exception& e) {
      result = make_error(ErrorKind::internal, std::string("unexpected exception: ") + e.what());
    }
    asio::post(io_, [this, key, result = std::move(result)]() mutable { finished(key, std::move(result)); });
  });
  publish();
}

void Scheduler::finished(const Key& key, Result<SyncOutcome> result) {
  auto it = tables_.find(key);
  if (it == tables_.end()) return;
  Table& table = *it->second;
  if (table.worker.joinable()) table.worker.join();
  table.running = false;
  --running_;
  TableStatus& st = table.status;
  const int64_t now = unix_ms();

  if (result) {
    st.rows_last_run = result->rows_written;
    st.rows_total += result->rows_written;
    if (result->cursor) st.cursor = result->cursor;
    st.unit = result->unit;
    st.source_max = result->source_max;
    st.runs_ok += 1;
    st.last_success_ms = now;
    st.failing_since_ms.reset();
    st.last_error.clear();
    st.state = "idle";
    table.failures = 0;
  } else {
    back_off(table, result.error());
    // The credentials are the connector's, so its other tables would fail the same way.
    if (result.error().kind == ErrorKind::auth) {
      for (auto& [other_key, other] : tables_) {
        if (other.get() == &table || other->connector.name != table.connector.name || other->running) continue;
        other->timer.cancel();
        std::erase(ready_, other_key);
        other->queued = false;
        back_off(*other, result.error());
      }
    }
  }

  if (table.removed) {
    tables_.erase(it);
  } else if (!shutting_down_) {
    if (table.pending_sync || table.pending_resync) {
      enqueue(table);
    } else if (result) {
      schedule(table, jittered(table.connector.sync_every, 0.1));
    }
  }
  publish();
  if (shutting_down_ && running_ == 0 && on_idle_) {
    auto done = std::move(on_idle_);
    on_idle_ = nullptr;
    asio::post(io_, done);
    return;
  }
  start_ready();
}

void Scheduler::back_off(Table& table, const Error& error) {
  TableStatus& st = table.status;
  const int64_t now = unix_ms();
  table.failures += 1;
  st.runs_failed += 1;
  st.last_failure_ms = now;
  if (!st.failing_since_ms) st.failing_since_ms = now;
  st.last_error = error.message;
  st.state = needs_attention(error.kind) ? "failed" : "backing_off";
  // 1 s, 2 s, 4 s ... capped at the table's interval.
  int shift = std::min(table.failures - 1, 20);
  Duration delay = std::min(table.connector.sync_every, Duration(int64_t{1000} << shift));
  delay = std::max(delay, Duration(error.retry_after));
  schedule(table, jittered(delay, 0.2));
  spdlog::log(needs_attention(error.kind) ? spdlog::level::err : spdlog::level::warn,
              "[{}/{}] sync failed ({}): {}; next attempt in {}", table.connector.name, table.name,
              to_string(error.kind), error.message, format_duration(delay));
}

Status Scheduler::trigger(const TriggerRequest& request) {
  auto snap = snapshot();
  bool found = std::any_of(snap->tables.begin(), snap->tables.end(), [&](const TableStatus& t) {
    return t.connector == request.connector && t.table == request.table;
  });
  if (!found)
    return make_error(ErrorKind::not_found, "no table '" + request.table + "' in connector '" + request.connector + "'");
  if (request.kind == TriggerKind::resync) {
    // Validate the bounds now so the caller gets the error, not the log.
    for (const auto* iso : {&request.from_iso, &request.to_iso})
      if (*iso && !parse_iso_time(**iso, TimeUnit::ns).ok())
        return make_error(ErrorKind::config, "'" + **iso + "' is not a UTC time like 2024-01-01T00:00:00Z");
  }
  asio::post(io_, [this, request] {
    auto it = tables_.find({request.connector, request.table});
    if (it == tables_.end()) return;
    Table& table = *it->second;
    if (request.kind == TriggerKind::resync) table.pending_resync = ResyncRange{request.from_iso, request.to_iso};
    spdlog::info("[{}/{}] {} requested", request.connector, request.table,
                 request.kind == TriggerKind::resync ? "resync" : "sync");
    table.timer.cancel();
    enqueue(table);
  });
  return ok_status();
}

void Scheduler::shutdown(std::function<void()> on_idle) {
  shutting_down_ = true;
  ready_.clear();
  for (auto& [key, table] : tables_) {
    table->timer.cancel();
    table->queued = false;
    table->status.next_run_ms.reset();
    if (table->running) table->stop.request_stop();
  }
  publish();
  if (running_ == 0) {
    asio::post(io_, std::move(on_idle));
  } else {
    on_idle_ = std::move(on_idle);
  }
}

void Scheduler::set_config_error(std::string error) {
  config_error_ = std::move(error);
  publish();
}

void Scheduler::publish() {
  auto s = std::make_shared<StatusSnapshot>();
  s->version = TSYNCD_VERSION;
  s->started_ms = started_ms_;
  s->generated_ms = unix_ms();
  s->config_path = config_path_;
  s->config_error = config_error_;
  for (auto& [key, table] : tables_)
    if (!table->removed) s->tables.push_back(table->status);
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(s);
}

std::shared_ptr<const StatusSnapshot> Scheduler::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

std::string Scheduler::summary() const {
  auto s = snapshot();
  int running = 0, failing = 0;
  for (const auto& t : s->tables) {
    running += t.state == "running";
    failing += t.state == "failed" || t.state == "backing_off";
  }
  return std::to_string(s->tables.size()) + " tables, " + std::to_string(running) + " syncing, " +
         std::to_string(failing) + " failing" + (s->config_error.empty() ? "" : ", config reload rejected");
}

}  // namespace tsyncd
