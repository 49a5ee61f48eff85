// A throwaway PostgreSQL cluster for tests that need a real server.
//
// start() runs initdb into a fresh temporary directory and starts a server that listens only on
// 127.0.0.1 (a free port; its Unix socket stays inside the directory) with fsync off, because
// test data is disposable. The superuser "tsyncd" has a password and TCP connections must use it,
// so tests also prove that a client passes the password correctly. The destructor stops the
// server (pg_ctl -m fast) and deletes the directory.
//
// initdb refuses to run as root (CI runs as root): then the server tools run as the unprivileged
// `postgres` system user (or `nobody`), which owns the directory.
#pragma once

#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd::testing {

class PgServer {
 public:
  PgServer() = default;
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Creates the cluster and the database "tsyncd_test", starts the server and returns its port.
  // The error says why the server could not start (with the tail of its log).
  Result<int> start();

  // A server crash: every server process stops at once (pg_ctl -m immediate), open transactions
  // are lost, and the next start runs crash recovery. Clients see their connections drop.
  Status crash();
  // Starts the server again after crash(), on the same port and data directory.
  Status restart();

  // Creates another (empty) database on the running server.
  Status create_database(const std::string& name);

  // libpq connection string for `database`, without the password (pass password() separately).
  std::string dsn(const std::string& database = "tsyncd_test") const;
  const std::string& password() const { return password_; }
  int port() const { return port_; }

 private:
  Status run_tool(const std::vector<std::string>& argv);
  Status write_config();
  std::string log_tail() const;
  void stop();

  std::string dir_;      // the temporary directory; empty when nothing was created
  std::string bin_dir_;  // where initdb and pg_ctl live
  std::string password_;
  int port_ = 0;
  bool running_ = false;
  // The unprivileged user that runs the server tools when we are root (-1: run them as ourselves).
  long run_uid_ = -1;
  long run_gid_ = -1;
};

}  // namespace tsyncd::testing
