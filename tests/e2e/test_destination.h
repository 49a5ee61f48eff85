// The destination an end-to-end case writes to.
//
// Every end-to-end suite runs twice (tests/e2e/meson.build): into an SQLite file, and, with
// TSYNCD_E2E_DESTINATION=postgres, into a fresh database on a real PostgreSQL server
// (pg_destination.h). Both are read back in the same canonical cells (harness.h, pg_rows.h), so
// each case states its expectations once; real_cell() is the one place where the two differ.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "e2e/harness.h"
#include "e2e/pg_destination.h"

struct sqlite3;

namespace tsyncd::e2e {

class TestDestination {
 public:
  // Reads TSYNCD_E2E_DESTINATION ("sqlite" when unset); the SQLite file or the PostgreSQL password
  // file goes into `dir`. Fails the running case when PostgreSQL cannot be set up.
  explicit TestDestination(const TempDir& dir);

  bool is_postgres() const { return postgres_.has_value(); }
  // The PostgreSQL destination itself, for checks only it can make; nullptr for SQLite.
  const PgDestination* postgres() const { return postgres_ ? &*postgres_ : nullptr; }
  // The "destination" object of a tsyncd config.
  std::string config_json() const;

  // The table tsyncd wrote for a connector's source table ("<connector>__<table>" in SQLite,
  // "<connector>"."<table>" in PostgreSQL), in canonical cells, sorted; no rows while it does not
  // exist. A timestamp column names the fraction digits of its source (PgColumn).
  std::vector<std::string> rows(const std::string& connector, const std::string& table,
                                const std::vector<PgColumn>& columns) const;
  // Its row count (0 while it does not exist, -1 when PostgreSQL cannot be read).
  int64_t count(const std::string& connector, const std::string& table) const;

  // A float32/float64 value as the destination holds it: PostgreSQL's real and double precision
  // keep NaN and the sign of -0.0; SQLite stores NaN as the text 'NaN' and reads -0.0 back as
  // 0.0 (README "Types").
  std::string real_cell(double value) const;

  // Fails the case when tsyncd failed or its output shows the PostgreSQL password.
  void require_ok(const CommandResult& result) const;

  // An outage of the destination, until bring_back(): PostgreSQL crashes (every connection drops,
  // open transactions are lost, nothing answers); the SQLite file is locked by another writer
  // (tsyncd's writes wait for it, up to their busy timeout).
  void take_down();
  void bring_back();

 private:
  struct SqliteCloser {
    void operator()(sqlite3* db) const;
  };

  std::string sqlite_path_;
  std::optional<PgDestination> postgres_;
  std::unique_ptr<sqlite3, SqliteCloser> sqlite_lock_;  // holds BEGIN EXCLUSIVE while taken down
};

// The kill -9 rounds of the end-to-end suites. For each of `kills` row counts, drawn from `seed`
// between 1000 and `max_rows_before_kill` and taken in rising order: start the daemon on
// `config_path`, ask for a sync of connector/table at once, and kill it -9 as soon as the table
// holds that many rows (0-5 ms later, so that kills land anywhere inside a page).
struct KillRounds {
  std::string config_path;
  std::string log_path;
  int status_port = 0;
  std::string connector;
  std::string table;
  int64_t max_rows_before_kill = 0;
  uint32_t seed = 0;
  int kills = 20;
};

// Runs the rounds; returns how many kills left the table with fewer than `total_rows` rows, i.e.
// really interrupted a sync.
int kill9_during_sync(const TestDestination& destination, const KillRounds& rounds, int64_t total_rows);

}  // namespace tsyncd::e2e
