#include "e2e/pg_destination.h"

#include "support/pg_server.h"

namespace tsyncd::e2e {
namespace {

// The executable's one server, started on first use and stopped when the executable exits.
struct SharedServer {
  testing::PgServer server;
  Result<int> started = server.start();
  int databases_created = 0;
};

SharedServer& shared_server() {
  static SharedServer instance;
  return instance;
}

}  // namespace

Result<PgDestination> PgDestination::create(const TempDir& dir) {
  SharedServer& shared = shared_server();
  if (!shared.started.ok())
    return make_error(ErrorKind::destination, "PostgreSQL could not start: " + shared.started.error().message);
  const std::string database = "e2e_" + std::to_string(++shared.databases_created);
  if (Status created = shared.server.create_database(database); !created.ok()) return created.error();
  const std::string password_file = dir.file("pg.password");
  write_file(password_file, shared.server.password() + "\n");

  PgDestination destination;
  destination.dsn_ = shared.server.dsn(database);
  destination.config_json_ = R"({"type": "postgres", "dsn": )" + json_quote(destination.dsn_) +
                             R"(, "password_file": )" + json_quote(password_file) + "}";
  return destination;
}

const std::string& PgDestination::password() const { return shared_server().server.password(); }

Result<std::vector<std::string>> PgDestination::rows(const std::string& schema, const std::string& table,
                                                     const std::vector<PgColumn>& columns) const {
  return pg_rows(dsn_, password(), schema, table, columns);
}

Result<int64_t> PgDestination::count(const std::string& schema, const std::string& table) const {
  return pg_count(dsn_, password(), schema, table);
}

Result<std::vector<std::string>> PgDestination::tsyncd_backends() const {
  return pg_values(dsn_, password(),
                   "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                   " AND application_name = 'tsyncd' ORDER BY pid");
}

Status PgDestination::crash_server() const { return shared_server().server.crash(); }

Status PgDestination::restart_server() const { return shared_server().server.restart(); }

}  // namespace tsyncd::e2e
