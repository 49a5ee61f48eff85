// A real PostgreSQL database as the destination of an end-to-end case.
//
// One server serves the whole test executable (initdb and start take seconds); every case gets a
// fresh database of its own, so cases cannot see each other's tables. tsyncd reads the password
// from a file, as the config requires: the DSN it is given carries none, and every suite checks
// that the password never shows up in tsyncd's output.
#pragma once

#include <string>
#include <vector>

#include "core/core.h"
#include "e2e/harness.h"
#include "e2e/pg_rows.h"

namespace tsyncd::e2e {

class PgDestination {
 public:
  // Starts the shared server on first use, creates a new database and writes the password file
  // into `dir`. The error says why the server could not start or the database not be created.
  static Result<PgDestination> create(const TempDir& dir);

  // The "destination" object of a tsyncd config.
  const std::string& config_json() const { return config_json_; }
  const std::string& password() const;

  // schema.table read back in the canonical cell form (pg_rows.h); its count (0 while absent).
  Result<std::vector<std::string>> rows(const std::string& schema, const std::string& table,
                                        const std::vector<PgColumn>& columns) const;
  Result<int64_t> count(const std::string& schema, const std::string& table) const;

  // The server process ids of tsyncd's open connections to this database (application_name
  // "tsyncd"), sorted.
  Result<std::vector<std::string>> tsyncd_backends() const;

  // The shared server crashes (PgServer::crash) and comes back (PgServer::restart).
  Status crash_server() const;
  Status restart_server() const;

 private:
  std::string dsn_;  // without the password
  std::string config_json_;
};

}  // namespace tsyncd::e2e
