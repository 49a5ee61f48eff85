// sqlite_util: a thin RAII layer over the sqlite3 C API, shared by the SQLite destination and the
// state store (which must not depend on each other).
//
// Header-only: it is a handful of one-line forwards, and both users already link sqlite3, so it
// needs no library of its own and no place in the module build order. Every failure becomes an
// Error of the kind the owner chose at open (`destination` or `state`) carrying SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/core.h"

namespace tsyncd {

// One prepared statement. Bind calls do not return a status: the first failed bind is kept and
// reported by the next step()/run(), so callers bind a whole row and check once.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3_stmt* stmt, ErrorKind kind) : stmt_(stmt), kind_(kind) {}
  SqliteStatement(SqliteStatement&& other) noexcept { *this = std::move(other); }
  SqliteStatement& operator=(SqliteStatement&& other) noexcept {
    std::swap(stmt_, other.stmt_);
    std::swap(kind_, other.kind_);
    std::swap(bind_rc_, other.bind_rc_);
    return *this;
  }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() { sqlite3_finalize(stmt_); }

  // Parameter indexes start at 1. Text and blob bytes are NOT copied (SQLITE_STATIC): they must
  // stay alive until the statement has been stepped.
  void bind_null(int index) { note(sqlite3_bind_null(stmt_, index)); }
  void bind_int64(int index, int64_t v) { note(sqlite3_bind_int64(stmt_, index, v)); }
  void bind_double(int index, double v) { note(sqlite3_bind_double(stmt_, index, v)); }
  void bind_text(int index, std::string_view v) {
    note(sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  void bind_blob(int index, std::string_view v) {
    note(sqlite3_bind_blob64(stmt_, index, v.data(), v.size(), SQLITE_STATIC));
  }

  // Advances: true when a row is available, false when the statement is done.
  Result<bool> step() {
    if (bind_rc_ != SQLITE_OK) return fail(bind_rc_);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail(rc);
  }

  // Steps a statement that returns no rows to completion and resets it for the next use.
  Status run() {
    Result<bool> r = step();
    reset();
    if (!r.ok()) return r.error();
    return ok_status();
  }

  // Makes the statement reusable (bindings are kept) and releases the read it may hold open.
  void reset() {
    sqlite3_reset(stmt_);
    bind_rc_ = SQLITE_OK;
  }

  bool column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int64_t column_int64(int i) const { return sqlite3_column_int64(stmt_, i); }
  std::string column_text(int i) const {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, i)) : std::string();
  }

 private:
  void note(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  Error fail(int rc) const {
    sqlite3* db = sqlite3_db_handle(stmt_);
    std::string message = db && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return make_error(kind_, message);
  }

  sqlite3_stmt* stmt_ = nullptr;
  ErrorKind kind_ = ErrorKind::internal;
  int bind_rc_ = SQLITE_OK;
};

// One connection. Use from one thread at a time (opened with SQLITE_OPEN_NOMUTEX).
class SqliteDb {
 public:
  // Opens or creates the file. busy_timeout makes a connection wait for another connection's
  // write transaction instead of failing at once.
  static Result<SqliteDb> open(const std::string& path, ErrorKind kind, int busy_timeout_ms) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    SqliteDb db(raw, kind);
    if (rc != SQLITE_OK)
      return make_error(kind, "cannot open SQLite database " + path + ": " +
                                  (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    sqlite3_busy_timeout(raw, busy_timeout_ms);
    return db;
  }

  // Runs one or more statements that return no rows (or whose rows are not needed).
  Status exec(const std::string& sql) {
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return last_error();
    return ok_status();
  }

  Result<SqliteStatement> prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK)
      return last_error();
    return SqliteStatement(stmt, kind_);
  }

  // The single value of a one-row, one-column query such as "PRAGMA journal_mode=WAL".
  Result<std::string> query_text(std::string_view sql) {
    Result<SqliteStatement> stmt = prepare(sql);
    if (!stmt.ok()) return stmt.error();
    Result<bool> row = stmt->step();
    if (!row.ok()) return row.error();
    if (!*row) return make_error(kind_, "no result from: " + std::string(sql));
    return stmt->column_text(0);
  }

  // Whether a transaction is open (a failed COMMIT can leave one open).
  bool in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

  // Undoes the open transaction, if any; used on error paths, so it cannot fail usefully.
  void rollback() {
    if (in_transaction()) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  SqliteDb(sqlite3* db, ErrorKind kind) : db_(db), kind_(kind) {}
  Error last_error() const { return make_error(kind_, sqlite3_errmsg(db_.get())); }

  std::unique_ptr<sqlite3, Closer> db_;
  ErrorKind kind_;
};

}  // namespace tsyncd
