// The state store: one SQLite connection behind a mutex (state traffic is a few statements per
// committed page, far from a bottleneck).
//
// synchronous=NORMAL is enough here: in WAL mode a power loss can only lose the last commits,
// which rolls a cursor back (tsyncd re-reads a little); the destination, synchronous=FULL, never
// loses a committed range the cursor points past.
//
// Schema version 2 (PRAGMA user_version; each version migrates from the number it finds):
//   cursors (connector, table_name, resume_ts, unit, time_column, rows_total, updated_at)
//   runs    (id, connector, table_name, kind, started_at_ms, finished_at_ms, rows, ok, error)
//   schemas (connector, table_name, text)
//   chunks  (connector, table_name, text)      version 2: the source's chunk versions
#include <mutex>

#include "sqlite_util/sqlite_util.h"
#include "state/state.h"

namespace tsyncd {
namespace {

constexpr int kSchemaVersion = 2;
constexpr int kBusyTimeoutMs = 30000;
// Runs kept per table. The latest success and the latest failure are kept even when older, so
// last_success_ms / last_failure_ms survive a long streak of the other outcome.
constexpr int kRunsKept = 100;

constexpr const char* kCreateSchemaV1 = R"sql(
CREATE TABLE cursors (
  connector TEXT NOT NULL,
  table_name TEXT NOT NULL,
  resume_ts INTEGER NOT NULL,
  unit TEXT NOT NULL,
  time_column TEXT NOT NULL,
  rows_total INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (connector, table_name)
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  connector TEXT NOT NULL,
  table_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX runs_by_table ON runs (connector, table_name, id);
CREATE TABLE schemas (
  connector TEXT NOT NULL,
  table_name TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (connector, table_name)
);
PRAGMA user_version = 1;
)sql";

constexpr const char* kMigrateV1toV2 = R"sql(
CREATE TABLE chunks (
  connector TEXT NOT NULL,
  table_name TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (connector, table_name)
);
PRAGMA user_version = 2;
)sql";

std::optional<TimeUnit> parse_unit(std::string_view text) {
  for (TimeUnit unit : {TimeUnit::ms, TimeUnit::us, TimeUnit::ns})
    if (to_string(unit) == text) return unit;
  return std::nullopt;
}

class SqliteStateStore final : public StateStore {
 public:
  SqliteStateStore(std::string path, SqliteDb db) : path_(std::move(path)), db_(std::move(db)) {}

  Result<std::optional<Cursor>> cursor(const std::string& connector, const std::string& table) override {
    std::lock_guard lock(mutex_);
    Result<SqliteStatement> stmt =
        db_.prepare("SELECT resume_ts, unit, time_column FROM cursors WHERE connector = ?1 AND table_name = ?2");
    if (!stmt.ok()) return failed(stmt.error());
    stmt->bind_text(1, connector);
    stmt->bind_text(2, table);
    Result<bool> row = stmt->step();
    if (!row.ok()) return failed(row.error());
    if (!*row) return std::optional<Cursor>();
    Result<Cursor> c = read_cursor(*stmt, 0, connector, table);
    if (!c.ok()) return c.error();
    return std::optional<Cursor>(*c);
  }

  Status commit_cursor(const std::string& connector, const std::string& table, const Cursor& cursor,
                       int64_t rows_written) override {
    std::lock_guard lock(mutex_);
    // One statement, so the cursor and the total change together.
    Result<SqliteStatement> stmt = db_.prepare(
        "INSERT INTO cursors (connector, table_name, resume_ts, unit, time_column, rows_total, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (connector, table_name) DO UPDATE SET "
        "resume_ts = excluded.resume_ts, unit = excluded.unit, time_column = excluded.time_column, "
        "rows_total = rows_total + excluded.rows_total, updated_at = excluded.updated_at");
    if (!stmt.ok()) return failed(stmt.error());
    stmt->bind_text(1, connector);
    stmt->bind_text(2, table);
    stmt->bind_int64(3, cursor.resume_ts);
    stmt->bind_text(4, to_string(cursor.unit));
    stmt->bind_text(5, cursor.time_column);
    stmt->bind_int64(6, rows_written);
    stmt->bind_int64(7, now_in(TimeUnit::ms));
    if (Status s = stmt->run(); !s.ok()) return failed(s.error());
    return ok_status();
  }

  Status record_run(const RunRecord& run) override {
    std::lock_guard lock(mutex_);
    Status s = db_.exec("BEGIN IMMEDIATE");
    if (s.ok()) s = insert_run(run);
    if (s.ok()) s = prune_runs(run.connector, run.table);
    if (s.ok()) s = db_.exec("COMMIT");
    if (!s.ok()) {
      db_.rollback();
      return failed(s.error());
    }
    return s;
  }

  Result<std::vector<TableState>> tables() override {
    std::lock_guard lock(mutex_);
    // Every table the store knows of, from any of its tables; run outcomes per table.
    Result<SqliteStatement> stmt = db_.prepare(R"sql(
      WITH known AS (
        SELECT connector, table_name FROM cursors
        UNION SELECT connector, table_name FROM runs
        UNION SELECT connector, table_name FROM schemas)
      SELECT k.connector, k.table_name, c.resume_ts, c.unit, c.time_column, coalesce(c.rows_total, 0),
        (SELECT max(finished_at_ms) FROM runs r
          WHERE r.connector = k.connector AND r.table_name = k.table_name AND r.ok),
        f.finished_at_ms, f.error
      FROM known k
      LEFT JOIN cursors c ON c.connector = k.connector AND c.table_name = k.table_name
      LEFT JOIN runs f ON f.id = (SELECT max(id) FROM runs r
          WHERE r.connector = k.connector AND r.table_name = k.table_name AND NOT r.ok)
      ORDER BY k.connector, k.table_name)sql");
    if (!stmt.ok()) return failed(stmt.error());
    std::vector<TableState> states;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row.ok()) return failed(row.error());
      if (!*row) break;
      TableState state;
      state.connector = stmt->column_text(0);
      state.table = stmt->column_text(1);
      if (!stmt->column_is_null(2)) {
        Result<Cursor> c = read_cursor(*stmt, 2, state.connector, state.table);
        if (!c.ok()) return c.error();
        state.cursor = *c;
      }
      state.rows_total = stmt->column_int64(5);
      if (!stmt->column_is_null(6)) state.last_success_ms = stmt->column_int64(6);
      if (!stmt->column_is_null(7)) state.last_failure_ms = stmt->column_int64(7);
      state.last_error = stmt->column_text(8);
      states.push_back(std::move(state));
    }
    return states;
  }

  Result<std::vector<RunRecord>> recent_runs(const std::string& connector, const std::string& table,
                                             int limit) override {
    std::lock_guard lock(mutex_);
    Result<SqliteStatement> stmt = db_.prepare(
        "SELECT kind, started_at_ms, finished_at_ms, rows, ok, error FROM runs "
        "WHERE connector = ?1 AND table_name = ?2 ORDER BY id DESC LIMIT ?3");
    if (!stmt.ok()) return failed(stmt.error());
    stmt->bind_text(1, connector);
    stmt->bind_text(2, table);
    stmt->bind_int64(3, limit);
    std::vector<RunRecord> runs;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row.ok()) return failed(row.error());
      if (!*row) break;
      RunRecord run;
      run.connector = connector;
      run.table = table;
      run.kind = stmt->column_text(0);
      run.started_at_ms = stmt->column_int64(1);
      run.finished_at_ms = stmt->column_int64(2);
      run.rows = stmt->column_int64(3);
      run.ok = stmt->column_int64(4) != 0;
      run.error = stmt->column_text(5);
      runs.push_back(std::move(run));
    }
    return runs;
  }

  Status reset(const std::string& connector, const std::string& table) override {
    std::lock_guard lock(mutex_);
    for (const char* sql : {"DELETE FROM cursors WHERE connector = ?1 AND (?2 = '' OR table_name = ?2)",
                            "DELETE FROM chunks WHERE connector = ?1 AND (?2 = '' OR table_name = ?2)"}) {
      Result<SqliteStatement> stmt = db_.prepare(sql);
      if (!stmt.ok()) return failed(stmt.error());
      stmt->bind_text(1, connector);
      stmt->bind_text(2, table);
      if (Status s = stmt->run(); !s.ok()) return failed(s.error());
    }
    return ok_status();
  }

  Result<std::optional<std::string>> schema(const std::string& connector, const std::string& table) override {
    return read_text("schemas", connector, table);
  }
  Status save_schema(const std::string& connector, const std::string& table, const std::string& text) override {
    return write_text("schemas", connector, table, text);
  }
  Result<std::optional<std::string>> chunk_versions(const std::string& connector, const std::string& table) override {
    return read_text("chunks", connector, table);
  }
  Status save_chunk_versions(const std::string& connector, const std::string& table, const std::string& text) override {
    return write_text("chunks", connector, table, text);
  }

 private:
  // One opaque text per table, in `schemas` or `chunks`.
  Result<std::optional<std::string>> read_text(const std::string& store, const std::string& connector,
                                               const std::string& table) {
    std::lock_guard lock(mutex_);
    Result<SqliteStatement> stmt =
        db_.prepare("SELECT text FROM " + store + " WHERE connector = ?1 AND table_name = ?2");
    if (!stmt.ok()) return failed(stmt.error());
    stmt->bind_text(1, connector);
    stmt->bind_text(2, table);
    Result<bool> row = stmt->step();
    if (!row.ok()) return failed(row.error());
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(stmt->column_text(0));
  }

  Status write_text(const std::string& store, const std::string& connector, const std::string& table,
                    const std::string& text) {
    std::lock_guard lock(mutex_);
    Result<SqliteStatement> stmt = db_.prepare(
        "INSERT INTO " + store + " (connector, table_name, text) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (connector, table_name) DO UPDATE SET text = excluded.text");
    if (!stmt.ok()) return failed(stmt.error());
    stmt->bind_text(1, connector);
    stmt->bind_text(2, table);
    stmt->bind_text(3, text);
    if (Status s = stmt->run(); !s.ok()) return failed(s.error());
    return ok_status();
  }

  Error failed(const Error& error) const { return error.with_context("state store " + path_); }

  // Reads (resume_ts, unit, time_column) starting at column `first`.
  Result<Cursor> read_cursor(const SqliteStatement& stmt, int first, const std::string& connector,
                             const std::string& table) const {
    Cursor c;
    c.resume_ts = stmt.column_int64(first);
    std::string unit = stmt.column_text(first + 1);
    std::optional<TimeUnit> parsed = parse_unit(unit);
    if (!parsed)
      return failed(make_error(ErrorKind::state, "connector " + connector + " table " + table +
                                                     ": cursor has unknown time unit \"" + unit + "\""));
    c.unit = *parsed;
    c.time_column = stmt.column_text(first + 2);
    return c;
  }

  Status insert_run(const RunRecord& run) {
    Result<SqliteStatement> stmt = db_.prepare(
        "INSERT INTO runs (connector, table_name, kind, started_at_ms, finished_at_ms, rows, ok, error) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!stmt.ok()) return stmt.error();
    stmt->bind_text(1, run.connector);
    stmt->bind_text(2, run.table);
    stmt->bind_text(3, run.kind);
    stmt->bind_int64(4, run.started_at_ms);
    stmt->bind_int64(5, run.finished_at_ms);
    stmt->bind_int64(6, run.rows);
    stmt->bind_int64(7, run.ok ? 1 : 0);
    stmt->bind_text(8, run.error);
    return stmt->run();
  }

  // Deletes the table's runs older than the newest kRunsKept, except its latest success and
  // latest failure.
  Status prune_runs(const std::string& connector, const std::string& table) {
    Result<SqliteStatement> stmt = db_.prepare(R"sql(
      DELETE FROM runs WHERE connector = ?1 AND table_name = ?2
        AND id <= (SELECT id FROM runs WHERE connector = ?1 AND table_name = ?2
                   ORDER BY id DESC LIMIT 1 OFFSET ?3)
        AND id NOT IN (SELECT max(id) FROM runs WHERE connector = ?1 AND table_name = ?2 GROUP BY ok))sql");
    if (!stmt.ok()) return stmt.error();
    stmt->bind_text(1, connector);
    stmt->bind_text(2, table);
    stmt->bind_int64(3, kRunsKept);
    return stmt->run();
  }

  std::string path_;
  std::mutex mutex_;
  SqliteDb db_;
};

// Creates the schema in a new file, or checks the version of an existing one. Runs inside the
// caller's write transaction, so two processes opening a new file cannot both create it.
Status migrate_locked(SqliteDb& db) {
  Result<std::string> version = db.query_text("PRAGMA user_version");
  if (!version.ok()) return version.error();
  if (*version == "0") {
    if (Status s = db.exec(kCreateSchemaV1); !s.ok()) return s;
    *version = "1";
  }
  if (*version == "1") {
    if (Status s = db.exec(kMigrateV1toV2); !s.ok()) return s;
    *version = "2";
  }
  if (*version == std::to_string(kSchemaVersion)) return ok_status();
  return make_error(ErrorKind::state, "schema version " + *version + " is newer than this tsyncd knows (" +
                                          std::to_string(kSchemaVersion) + "); use the tsyncd that wrote it");
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& path) {
  Result<SqliteDb> db = SqliteDb::open(path, ErrorKind::state, kBusyTimeoutMs);
  if (!db.ok()) return db.error();
  Result<std::string> mode = db->query_text("PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.error().with_context("state store " + path);
  if (*mode != "wal")
    return make_error(ErrorKind::state, "state store " + path + ": cannot use WAL mode (journal mode is " + *mode + ")");
  Status s = db->exec("PRAGMA synchronous=NORMAL");
  if (s.ok()) s = db->exec("BEGIN IMMEDIATE");
  if (s.ok()) s = migrate_locked(*db);
  if (s.ok()) s = db->exec("COMMIT");
  if (!s.ok()) {
    db->rollback();
    return s.error().with_context("state store " + path);
  }
  return std::unique_ptr<StateStore>(std::make_unique<SqliteStateStore>(path, std::move(*db)));
}

}  // namespace tsyncd
