#include "destinations/postgres/pg_connection.h"

#include <spdlog/spdlog.h>

namespace tsyncd::postgres {
namespace {

// Server notices ("schema already exists, skipping") would go to stderr by default.
void log_notice(void*, const char* message) { spdlog::debug("postgres notice: {}", trim(message)); }

// Multi-line server messages become one log-friendly line.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return trim(text);
}

}  // namespace

PgConnection::PgConnection(DestinationOptions options) : options_(std::move(options)) {}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConnection::connect() {
  if (conn_ != nullptr) PQfinish(conn_);
  // Later keywords override earlier ones, and "dbname" expands into the DSN's own settings: a
  // connect_timeout in the DSN wins over our default, while our password and encoding win over
  // the DSN (tsyncd always sends UTF-8).
  std::vector<const char*> keys = {"connect_timeout", "dbname", "fallback_application_name",
                                   "client_encoding"};
  std::vector<const char*> values = {"10", options_.dsn.c_str(), "tsyncd", "UTF8"};
  if (!options_.password.empty()) {
    keys.push_back("password");
    values.push_back(options_.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn_ == nullptr) return make_error(ErrorKind::destination, "postgres: out of memory while connecting");
  if (PQstatus(conn_) != CONNECTION_OK)
    return make_error(ErrorKind::destination,
                      "postgres: cannot connect: " + scrub(one_line(PQerrorMessage(conn_))));
  PQsetNoticeProcessor(conn_, log_notice, nullptr);
  return require_durable_commits();
}

Status PgConnection::require_durable_commits() {
  // tsyncd records a page as written (its cursor, in the state file) as soon as COMMIT returns.
  // With synchronous_commit = off, a server or role default some choose for speed, a server
  // crash loses the last acknowledged transactions: their rows would be missing behind the
  // cursor for good. So this session waits for the local WAL flush; a stricter setting (on,
  // remote_write, remote_apply) is kept as it is.
  Result<PgResult> settings = exec("SELECT current_setting('synchronous_commit'), current_setting('fsync')");
  if (!settings) return settings.error();
  const std::string synchronous_commit = PQgetvalue(settings->get(), 0, 0);
  const std::string fsync = PQgetvalue(settings->get(), 0, 1);
  if (synchronous_commit == "off") {
    if (Result<PgResult> raised = exec("SET synchronous_commit = local"); !raised) return raised.error();
    spdlog::info("postgres destination: synchronous_commit is off on the server; tsyncd's sessions use "
                 "'local' so that a commit survives a server crash");
  }
  // fsync is the server's alone to set: say what it means for the rows tsyncd has written.
  if (fsync == "off")
    spdlog::warn("postgres destination {}: fsync is off on the server, so an operating system crash can "
                 "lose committed pages; after one, run tsyncd resync",
                 server());
  return ok_status();
}

bool PgConnection::broken() const { return conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD; }

std::string PgConnection::server() const {
  if (conn_ == nullptr) return "(not connected)";
  return std::string(PQhost(conn_)) + ":" + PQport(conn_) + "/" + PQdb(conn_);
}

Result<PgResult> PgConnection::exec(const std::string& sql) {
  if (broken()) return make_error(ErrorKind::destination, "postgres: not connected");
  PgResult result(PQexec(conn_, sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN) return result;
  return error_from(result.get());
}

Result<PgResult> PgConnection::exec(const std::string& sql, const std::vector<std::string>& params) {
  if (broken()) return make_error(ErrorKind::destination, "postgres: not connected");
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  PgResult result(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                               nullptr, nullptr, /*resultFormat=*/0));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return error_from(result.get());
}

Status PgConnection::copy_begin(const std::string& sql) {
  Result<PgResult> result = exec(sql);
  if (!result) return result.error();
  if (PQresultStatus(result->get()) != PGRES_COPY_IN)
    return make_error(ErrorKind::internal, "postgres: not a COPY FROM STDIN statement: " + sql);
  return ok_status();
}

Status PgConnection::copy_send(std::string_view data) {
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) == 1) return ok_status();
  Error error =
      make_error(ErrorKind::destination, "postgres: COPY failed: " + scrub(one_line(PQerrorMessage(conn_))));
  (void)drain_copy_results();
  return error;
}

Status PgConnection::copy_end() {
  if (PQputCopyEnd(conn_, nullptr) != 1)
    return make_error(ErrorKind::destination,
                      "postgres: COPY failed: " + scrub(one_line(PQerrorMessage(conn_))));
  return drain_copy_results();
}

void PgConnection::copy_abort(const std::string& reason) {
  if (PQputCopyEnd(conn_, reason.c_str()) == 1) (void)drain_copy_results();
}

// After the end of a COPY the server answers with its verdict, then libpq returns null.
Status PgConnection::drain_copy_results() {
  Status status;
  while (PGresult* raw = PQgetResult(conn_)) {
    PgResult result(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && status) status = error_from(raw);
  }
  return status;
}

// The server's message, its detail (which names the offending key or value) and the SQLSTATE;
// libpq's own message when the server never answered (connection lost).
Error PgConnection::error_from(const PGresult* result) const {
  std::string message;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary != nullptr) {
    message = primary;
    if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL))
      message += std::string(" (") + detail + ")";
    if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE))
      message += std::string(" [SQLSTATE ") + state + "]";
  } else {
    message = PQerrorMessage(conn_);
  }
  return make_error(ErrorKind::destination, "postgres: " + scrub(one_line(std::move(message))));
}

std::string PgConnection::scrub(std::string message) const {
  const std::string& secret = options_.password;
  if (secret.empty()) return message;
  for (size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at + 3))
    message.replace(at, secret.size(), "***");
  return message;
}

Transaction::~Transaction() {
  if (open_ && !conn_.broken()) (void)conn_.exec("ROLLBACK");
}

Status Transaction::begin() {
  Result<PgResult> result = conn_.exec("BEGIN");
  if (!result) return result.error();
  open_ = true;
  return ok_status();
}

Status Transaction::commit() {
  Result<PgResult> result = conn_.exec("COMMIT");
  if (!result) return result.error();
  open_ = false;
  return ok_status();
}

}  // namespace tsyncd::postgres
