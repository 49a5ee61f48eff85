#include "e2e/pg_rows.h"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "e2e/harness.h"

namespace tsyncd::e2e {
namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using QueryResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

enum class Kind { integer, boolean, real, timestamptz, bytea, text };

// `type` as pg_catalog.format_type() spells it.
Kind kind_of(const std::string& type) {
  if (type == "smallint" || type == "integer" || type == "bigint") return Kind::integer;
  if (type == "boolean") return Kind::boolean;
  if (type == "real" || type == "double precision") return Kind::real;
  if (type == "timestamp with time zone") return Kind::timestamptz;
  if (type == "bytea") return Kind::bytea;
  return Kind::text;
}

std::string quote_identifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// The select-list expression that makes the server print the column in its exact form.
std::string render_expression(Kind kind, const std::string& column) {
  const std::string c = quote_identifier(column);
  switch (kind) {
    case Kind::boolean: return c + "::int";
    case Kind::real: return "encode(float8send(" + c + "::float8), 'hex')";
    case Kind::timestamptz: return "to_char(" + c + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')";
    case Kind::bytea: return "encode(" + c + ", 'hex')";
    case Kind::integer:
    case Kind::text: return c;
  }
  return c;
}

// "YYYY-MM-DDTHH:MM:SS.ffffff" with `digits` fraction digits and a 'Z'; the dropped digits must
// be zeros, otherwise all six stay so that the extra precision is visible.
std::string timestamp_cell(std::string text, int digits) {
  const size_t dot = text.rfind('.');
  const size_t drop = digits >= 0 && digits < 6 ? static_cast<size_t>(6 - digits) : 0;
  if (dot != std::string::npos && drop > 0 && text.size() == dot + 7 &&
      text.find_first_not_of('0', text.size() - drop) == std::string::npos) {
    text.resize(text.size() - drop);
    if (digits == 0) text.resize(dot);
  }
  return cell_text(text + "Z");
}

std::string render_cell(Kind kind, const std::string& text, int fraction_digits) {
  switch (kind) {
    case Kind::integer:
    case Kind::boolean: return cell_int(std::stoll(text));
    case Kind::real: return "r:" + text;  // float8send is big-endian: the hex of the bits as a number
    case Kind::timestamptz: return timestamp_cell(text, fraction_digits);
    case Kind::bytea: return "b:" + text;
    case Kind::text: return cell_text(text);
  }
  return cell_text(text);
}

Error failure(const std::string& what, const std::string& detail) {
  std::string message = what + ": " + detail;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return make_error(ErrorKind::destination, message);
}

Connection connect(const std::string& dsn, const std::string& password) {
  const char* keys[] = {"dbname", "password", nullptr};
  const char* values[] = {dsn.c_str(), password.c_str(), nullptr};
  return Connection(PQconnectdbParams(keys, values, 1), &PQfinish);
}

}  // namespace

Result<int64_t> pg_count(const std::string& dsn, const std::string& password, const std::string& schema,
                         const std::string& table) {
  const std::string where = quote_identifier(schema) + "." + quote_identifier(table);
  Connection conn = connect(dsn, password);
  if (PQstatus(conn.get()) != CONNECTION_OK) return failure("connect to count " + where, PQerrorMessage(conn.get()));
  const char* params[] = {schema.c_str(), table.c_str()};
  QueryResult exists(PQexecParams(conn.get(),
                                  "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2", 2,
                                  nullptr, params, nullptr, nullptr, 0),
                     &PQclear);
  if (PQresultStatus(exists.get()) != PGRES_TUPLES_OK) return failure(where, PQresultErrorMessage(exists.get()));
  if (PQntuples(exists.get()) == 0) return int64_t{0};
  QueryResult count(PQexec(conn.get(), ("SELECT count(*) FROM " + where).c_str()), &PQclear);
  if (PQresultStatus(count.get()) != PGRES_TUPLES_OK) return failure(where, PQresultErrorMessage(count.get()));
  return static_cast<int64_t>(std::stoll(PQgetvalue(count.get(), 0, 0)));
}

Result<std::vector<std::string>> pg_values(const std::string& dsn, const std::string& password,
                                           const std::string& sql) {
  Connection conn = connect(dsn, password);
  if (PQstatus(conn.get()) != CONNECTION_OK) return failure("connect to run " + sql, PQerrorMessage(conn.get()));
  QueryResult result(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return failure(sql, PQresultErrorMessage(result.get()));
  std::vector<std::string> values;
  for (int r = 0; r < PQntuples(result.get()); ++r)
    values.push_back(PQgetisnull(result.get(), r, 0) ? "null" : PQgetvalue(result.get(), r, 0));
  return values;
}

Result<std::vector<std::string>> pg_rows(const std::string& dsn, const std::string& password,
                                         const std::string& schema, const std::string& table,
                                         const std::vector<PgColumn>& columns) {
  const std::string where = quote_identifier(schema) + "." + quote_identifier(table);
  Connection conn = connect(dsn, password);
  if (PQstatus(conn.get()) != CONNECTION_OK) return failure("connect to read " + where, PQerrorMessage(conn.get()));

  const char* params[] = {schema.c_str(), table.c_str()};
  QueryResult types(PQexecParams(conn.get(),
                                 "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)"
                                 " FROM pg_catalog.pg_attribute a"
                                 " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
                                 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                                 " WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
                                 2, nullptr, params, nullptr, nullptr, 0),
                    &PQclear);
  if (PQresultStatus(types.get()) != PGRES_TUPLES_OK)
    return failure("columns of " + where, PQresultErrorMessage(types.get()));
  if (PQntuples(types.get()) == 0) return std::vector<std::string>{};

  std::vector<Kind> kinds;
  std::string sql = "SELECT ";
  for (const PgColumn& column : columns) {
    std::optional<Kind> kind;
    for (int r = 0; r < PQntuples(types.get()); ++r)
      if (column.name == PQgetvalue(types.get(), r, 0)) kind = kind_of(PQgetvalue(types.get(), r, 1));
    if (!kind) return failure(where, "no column " + quote_identifier(column.name));
    sql += (kinds.empty() ? "" : ", ") + render_expression(*kind, column.name);
    kinds.push_back(*kind);
  }
  sql += " FROM " + where;

  QueryResult result(PQexecParams(conn.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return failure(sql, PQresultErrorMessage(result.get()));
  std::vector<std::string> rows;
  rows.reserve(static_cast<size_t>(PQntuples(result.get())));
  for (int r = 0; r < PQntuples(result.get()); ++r) {
    std::string row;
    for (size_t c = 0; c < columns.size(); ++c) {
      const int field = static_cast<int>(c);
      if (c) row += '|';
      if (PQgetisnull(result.get(), r, field))
        row += cell_null();
      else
        row += render_cell(kinds[c], PQgetvalue(result.get(), r, field), columns[c].fraction_digits);
    }
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace tsyncd::e2e
