// One libpq connection: RAII results, server errors turned into `destination` errors that never
// contain the password, COPY FROM STDIN, and a transaction guard.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "destinations/destinations.h"

namespace tsyncd::postgres {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

class PgConnection {
 public:
  explicit PgConnection(DestinationOptions options);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Opens the connection, or opens a fresh one in place of a broken one. Every COMMIT on it is
  // durable when it returns (require_durable_commits).
  Status connect();
  // No usable connection: never opened, or libpq noticed that the server went away.
  bool broken() const;
  // "host:port/database" for log lines (never the password).
  std::string server() const;

  // Runs SQL without parameters (several statements separated by ';' are allowed) and returns
  // the last result; a failure carries the server's message.
  Result<PgResult> exec(const std::string& sql);
  // Runs one statement with text parameters $1, $2, ...
  Result<PgResult> exec(const std::string& sql, const std::vector<std::string>& params);

  // COPY ... FROM STDIN: copy_begin() with the COPY statement, copy_send() the data in pieces of
  // any size, then copy_end() (the server's verdict) or copy_abort() (makes the COPY fail).
  Status copy_begin(const std::string& sql);
  Status copy_send(std::string_view data);
  Status copy_end();
  void copy_abort(const std::string& reason);

 private:
  Status require_durable_commits();
  Error error_from(const PGresult* result) const;
  std::string scrub(std::string message) const;
  Status drain_copy_results();

  DestinationOptions options_;
  PGconn* conn_ = nullptr;
};

// BEGIN on construction's begin(), ROLLBACK on destruction unless commit() succeeded: every early
// return leaves the database as it was.
class Transaction {
 public:
  explicit Transaction(PgConnection& conn) : conn_(conn) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status begin();
  Status commit();

 private:
  PgConnection& conn_;
  bool open_ = false;
};

}  // namespace tsyncd::postgres
