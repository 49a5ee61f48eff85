#include "destinations/postgres/postgres_destination.h"

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <utility>

#include "destinations/postgres/copy_format.h"
#include "destinations/postgres/pg_connection.h"
#include "destinations/postgres/pg_names.h"

namespace tsyncd {
namespace {

using postgres::PgConnection;
using postgres::PgResult;
using postgres::Transaction;

// tsyncd's own columns and their types as format_type() spells them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kOwnColumns = {{
    {"_tsync_ts", "bigint"},
    {"_tsync_key", "bigint"},
    {"_tsync_dup", "bigint"},
    {"_tsync_synced_at", "timestamp with time zone"},
}};

// COPY sends this much at a time: large enough to amortise the calls, small enough that the
// server can parse a page while the rest of it is still being formatted, and that a page never
// needs a second copy of itself in memory. (Against 1 MiB: same speed within the benchmark's
// noise, 2 MiB less peak RSS.)
constexpr size_t kCopyChunkBytes = 64 << 10;

// Every name the table uses is checked before any SQL is sent, so a bad name never leaves half a
// table behind.
Status check_names(const TableRef& ref) {
  if (Status status = postgres::check_schema_name(ref.connector); !status) return status;
  return postgres::check_identifier("table", ref.table);
}

Status check_names(const TableRef& ref, const TableInfo& info) {
  if (Status status = check_names(ref); !status) return status;
  for (const Column& column : info.columns) {
    const std::string what = "table " + json_quote(ref.table) + " column";
    if (Status status = postgres::check_identifier(what, column.name); !status) return status;
    for (const auto& [own, type] : kOwnColumns)
      if (column.name == own)
        return make_error(ErrorKind::config, what + " " + json_quote(column.name) +
                                                 " collides with a column tsyncd adds to every table; "
                                                 "exclude or rename it at the source");
  }
  return ok_status();
}

// Rows outside the range would survive later replacements of it: a caller bug, caught here.
Status check_rows(const TableInfo& info, const TimeRange& range, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    if (!range.contains(row.ts))
      return make_error(ErrorKind::internal, "row at " + format_iso_time(row.ts, info.time_unit) +
                                                 " lies outside the range " + range.describe(info.time_unit));
    if (row.values.size() != info.columns.size())
      return make_error(ErrorKind::internal, "row at " + format_iso_time(row.ts, info.time_unit) + " has " +
                                                 std::to_string(row.values.size()) + " values for " +
                                                 std::to_string(info.columns.size()) + " columns");
  }
  return ok_status();
}

struct ExistingColumn {
  std::string name;
  std::string type;  // as format_type() spells it
};

class PostgresDestination final : public Destination {
 public:
  explicit PostgresDestination(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}

  Status ensure_table(const TableRef& ref, const TableInfo& info) override {
    if (Status status = check_names(ref, info); !status) return status;
    return with_reconnect(ref, [&] { return ensure_table_once(ref, info); });
  }

  Status replace_range(const TableRef& ref, const TableInfo& info, const TimeRange& range,
                       const std::vector<Row>& rows) override {
    if (Status status = check_names(ref, info); !status) return status;
    if (Status status = check_rows(info, range, rows); !status)
      return status.error().with_context(describe(ref));
    if (range.empty() && rows.empty()) return ok_status();
    return with_reconnect(ref, [&] { return replace_range_once(ref, info, range, rows); });
  }

  Result<int64_t> count_rows(const TableRef& ref) override {
    if (Status status = check_names(ref); !status) return status.error();
    return with_reconnect(ref, [&] { return count_rows_once(ref); });
  }

  std::string describe(const TableRef& ref) const override {
    return "postgres table " + postgres::qualified_name(ref.connector, ref.table);
  }

 private:
  // Every operation is idempotent (replace_range replaces the whole range), so when the server
  // went away during one it is safe to reconnect and run it again, once.
  template <class Attempt>
  auto with_reconnect(const TableRef& ref, Attempt attempt) -> decltype(attempt()) {
    if (conn_->broken()) {
      if (Status status = conn_->connect(); !status) return status.error().with_context(describe(ref));
    }
    auto result = attempt();
    if (!result.ok() && conn_->broken()) {
      spdlog::warn("{}: connection lost ({}); reconnecting", describe(ref), result.error().message);
      if (Status status = conn_->connect(); !status) return status.error().with_context(describe(ref));
      result = attempt();
    }
    if (!result.ok()) return result.error().with_context(describe(ref));
    return result;
  }

  Status ensure_table_once(const TableRef& ref, const TableInfo& info);
  Status replace_range_once(const TableRef& ref, const TableInfo& info, const TimeRange& range,
                            const std::vector<Row>& rows);
  Result<int64_t> count_rows_once(const TableRef& ref);
  Result<std::vector<ExistingColumn>> existing_columns(const TableRef& ref);
  Status create_table(const TableRef& ref, const TableInfo& info);
  Status add_missing_columns(const TableRef& ref, const TableInfo& info,
                             const std::vector<ExistingColumn>& existing);

  std::unique_ptr<PgConnection> conn_;
};

Status PostgresDestination::ensure_table_once(const TableRef& ref, const TableInfo& info) {
  Transaction tx(*conn_);
  if (Status status = tx.begin(); !status) return status;
  // Two workers may set up tables of the same connector at once; CREATE ... IF NOT EXISTS alone
  // still fails on such a race (unique violation in the catalog), so they take turns per schema.
  Result<PgResult> locked = conn_->exec(
      "SELECT pg_advisory_xact_lock(hashtext('tsyncd.ensure_table'), hashtext($1))", {ref.connector});
  if (!locked) return locked.error();

  // Look before creating: a role allowed to use an existing schema need not be allowed to
  // create schemas.
  Result<PgResult> schema =
      conn_->exec("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {ref.connector});
  if (!schema) return schema.error();
  if (PQntuples(schema->get()) == 0) {
    Result<PgResult> created = conn_->exec("CREATE SCHEMA IF NOT EXISTS " + quote_identifier(ref.connector));
    if (!created) return created.error();
  }

  Result<std::vector<ExistingColumn>> existing = existing_columns(ref);
  if (!existing) return existing.error();
  Status changed = existing->empty() ? create_table(ref, info) : add_missing_columns(ref, info, *existing);
  if (!changed) return changed;
  return tx.commit();
}

Result<std::vector<ExistingColumn>> PostgresDestination::existing_columns(const TableRef& ref) {
  Result<PgResult> result = conn_->exec(
      "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)"
      " FROM pg_catalog.pg_attribute a"
      " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
      " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')"
      " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
      {ref.connector, ref.table});
  if (!result) return result.error();
  std::vector<ExistingColumn> columns;
  for (int i = 0; i < PQntuples(result->get()); ++i)
    columns.push_back({PQgetvalue(result->get(), i, 0), PQgetvalue(result->get(), i, 1)});
  return columns;
}

Status PostgresDestination::create_table(const TableRef& ref, const TableInfo& info) {
  std::string sql = "CREATE TABLE " + postgres::qualified_name(ref.connector, ref.table) + " (";
  for (const Column& column : info.columns)
    sql += quote_identifier(column.name) + " " + postgres_column_type(column) + ", ";
  // now() is the transaction's start: every row of one page gets the same _tsync_synced_at.
  sql +=
      "\"_tsync_ts\" bigint NOT NULL, \"_tsync_key\" bigint NOT NULL, \"_tsync_dup\" bigint NOT NULL, "
      "\"_tsync_synced_at\" timestamptz NOT NULL DEFAULT now(), "
      "PRIMARY KEY (\"_tsync_ts\", \"_tsync_key\", \"_tsync_dup\"))";
  Result<PgResult> created = conn_->exec(sql);
  if (!created) return created.error();
  spdlog::info("{}: created with {} columns", describe(ref), info.columns.size());
  return ok_status();
}

Status PostgresDestination::add_missing_columns(const TableRef& ref, const TableInfo& info,
                                                const std::vector<ExistingColumn>& existing) {
  auto find = [&](std::string_view name) -> const ExistingColumn* {
    for (const ExistingColumn& column : existing)
      if (column.name == name) return &column;
    return nullptr;
  };
  for (const auto& [own, type] : kOwnColumns) {
    const ExistingColumn* column = find(own);
    if (column == nullptr || column->type != type)
      return make_error(ErrorKind::destination,
                        "the table exists but was not created by tsyncd: column " + std::string(own) +
                            (column == nullptr ? " is missing" : " has type " + column->type) +
                            "; drop or rename it, or sync into another schema");
  }
  std::vector<const Column*> missing;
  for (const Column& column : info.columns) {
    const std::string wanted = postgres::canonical_type_name(postgres_column_type(column));
    const ExistingColumn* found = find(column.name);
    if (found == nullptr) {
      missing.push_back(&column);
    } else if (found->type != wanted) {
      return make_error(
          ErrorKind::destination,
          "column " + quote_identifier(column.name) + " has type " + found->type +
              " but the source now has " + column.source_type + " (" + wanted +
              "); tsyncd never alters or drops a column: migrate it by hand or resync into a new "
              "table");
    }
  }
  for (const Column* column : missing) {
    Result<PgResult> added =
        conn_->exec("ALTER TABLE " + postgres::qualified_name(ref.connector, ref.table) + " ADD COLUMN " +
                    quote_identifier(column->name) + " " + postgres_column_type(*column));
    if (!added) return added.error();
    spdlog::info("{}: added column {} {}", describe(ref), quote_identifier(column->name),
                 postgres_column_type(*column));
  }
  return ok_status();
}

Status PostgresDestination::replace_range_once(const TableRef& ref, const TableInfo& info,
                                               const TimeRange& range, const std::vector<Row>& rows) {
  const std::string table = postgres::qualified_name(ref.connector, ref.table);
  Transaction tx(*conn_);
  if (Status status = tx.begin(); !status) return status;
  // Pages of one table take turns, whoever writes them (another tsyncd instance with its own
  // state, on another machine). Interleaved, a DELETE would miss the rows another transaction
  // inserted after the DELETE's snapshot, and both pages' rows would stay.
  Result<PgResult> locked =
      conn_->exec("SELECT pg_advisory_xact_lock(hashtext('tsyncd.write'), hashtext($1))", {table});
  if (!locked) return locked.error();

  std::string sql = "DELETE FROM " + table + " WHERE \"_tsync_ts\" >= ";
  postgres::append_copy_int(sql, range.lo);
  sql += range.hi_inclusive ? " AND \"_tsync_ts\" <= " : " AND \"_tsync_ts\" < ";
  postgres::append_copy_int(sql, range.hi);
  if (Result<PgResult> deleted = conn_->exec(sql); !deleted) return deleted.error();

  if (!rows.empty()) {
    // Straight into the table: a key that is already there fails the COPY (and the page) rather
    // than overwriting, and _tsync_synced_at takes its default.
    std::string copy = "COPY " + table + " (";
    for (const Column& column : info.columns) copy += quote_identifier(column.name) + ", ";
    copy += "\"_tsync_ts\", \"_tsync_key\", \"_tsync_dup\") FROM STDIN";
    if (Status status = conn_->copy_begin(copy); !status) return status;

    std::string buffer;
    buffer.reserve(kCopyChunkBytes + 4096);
    for (const Row& row : rows) {
      for (size_t i = 0; i < info.columns.size(); ++i) {
        if (!postgres::append_copy_field(buffer, row.values[i], info.columns[i].type)) {
          conn_->copy_abort("text value with a NUL byte");
          return make_error(
              ErrorKind::destination,
              "column " + quote_identifier(info.columns[i].name) + " of the row at " +
                  format_iso_time(row.ts, info.time_unit) +
                  " holds text with a NUL byte, which PostgreSQL cannot store; the page was not "
                  "written");
        }
        buffer += '\t';
      }
      postgres::append_copy_int(buffer, row.ts);
      buffer += '\t';
      postgres::append_copy_int(buffer, row.key);
      buffer += '\t';
      postgres::append_copy_int(buffer, row.dup);
      buffer += '\n';
      if (buffer.size() >= kCopyChunkBytes) {
        if (Status status = conn_->copy_send(buffer); !status) return status;
        buffer.clear();
      }
    }
    if (Status status = conn_->copy_send(buffer); !status) return status;
    if (Status status = conn_->copy_end(); !status) return status;
  }
  return tx.commit();
}

Result<int64_t> PostgresDestination::count_rows_once(const TableRef& ref) {
  Result<std::vector<ExistingColumn>> existing = existing_columns(ref);
  if (!existing) return existing.error();
  if (existing->empty()) return int64_t{0};
  Result<PgResult> result =
      conn_->exec("SELECT count(*) FROM " + postgres::qualified_name(ref.connector, ref.table));
  if (!result) return result.error();
  const std::string_view text = PQgetvalue(result->get(), 0, 0);
  int64_t count = 0;
  std::from_chars(text.data(), text.data() + text.size(), count);
  return count;
}

}  // namespace

Result<std::unique_ptr<Destination>> make_postgres_destination(const DestinationOptions& options) {
  auto conn = std::make_unique<PgConnection>(options);
  if (Status status = conn->connect(); !status) return status.error();
  spdlog::info("postgres destination: connected to {}", conn->server());
  return std::unique_ptr<Destination>(std::make_unique<PostgresDestination>(std::move(conn)));
}

}  // namespace tsyncd
