// Throughput of the PostgreSQL destination next to a plain COPY of the same rows, in one run on a
// throwaway local cluster (fsync off). Not a test: run it by hand.
//
//   postgres_bench [rows=1000000] [page_size=10000]
//
// Rows: (ts timestamp_us, sym text, i bigint, d double, s text). Every measurement includes turning
// the same Row objects into COPY text; generating the rows is not timed.
//   raw COPY, plain table     one COPY per page into a table without keys (autocommit)
//   raw COPY, keyed table     the same into a table with tsyncd's columns and primary key
//   tsyncd, new range         replace_range per page (BEGIN, DELETE range, COPY, COMMIT)
//   tsyncd, re-sync           the same pages again, so every DELETE removes a full page
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "destinations/postgres/postgres_destination.h"
#include "support/pg_server.h"

namespace tsyncd {
namespace {

using Clock = std::chrono::steady_clock;

const int64_t kBaseTs = 1704067200000000;  // 2024-01-01T00:00:00Z in microseconds

TableInfo bench_table() {
  TableInfo info;
  info.name = "ticks";
  auto add = [&](const char* name, ColumnType type) {
    Column column;
    column.name = name;
    column.source_type = std::string(to_string(type));
    column.type = type;
    info.columns.push_back(column);
  };
  add("ts", ColumnType::timestamp_us);
  add("sym", ColumnType::text);
  add("i", ColumnType::int64);
  add("d", ColumnType::float64);
  add("s", ColumnType::text);
  return info;
}

uint64_t mix(uint64_t x) {  // splitmix64: keys spread like hashes
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::vector<Row> make_page(int64_t first, int64_t count) {
  std::vector<Row> rows;
  rows.reserve(static_cast<size_t>(count));
  for (int64_t n = first; n < first + count; ++n) {
    const int64_t ts = kBaseTs + n * 1000;
    rows.push_back(Row{ts,
                       {format_iso_time(ts, TimeUnit::us), "SYM" + std::to_string(n % 100), n,
                        static_cast<double>(n) * 0.001 + 0.5, "some text value " + std::to_string(n)},
                       static_cast<int64_t>(mix(static_cast<uint64_t>(n))),
                       0});
  }
  return rows;
}

template <class T>
void append_number(std::string& out, T value) {
  char buffer[32];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

// What a plain client sends: the values as COPY text, no checks (the bench data needs no escapes).
std::string plain_copy_text(const std::vector<Row>& rows, bool with_keys) {
  std::string out;
  for (const Row& row : rows) {
    out += std::get<std::string>(row.values[0]);
    out += '\t';
    out += std::get<std::string>(row.values[1]);
    out += '\t';
    append_number(out, std::get<int64_t>(row.values[2]));
    out += '\t';
    append_number(out, std::get<double>(row.values[3]));
    out += '\t';
    out += std::get<std::string>(row.values[4]);
    if (with_keys) {
      out += '\t';
      append_number(out, row.ts);
      out += '\t';
      append_number(out, row.key);
      out += '\t';
      append_number(out, row.dup);
    }
    out += '\n';
  }
  return out;
}

bool exec_ok(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
  if (!ok) std::fprintf(stderr, "%s: %s", sql.c_str(), PQresultErrorMessage(result));
  PQclear(result);
  return ok;
}

bool raw_copy(PGconn* conn, const std::string& table, const std::vector<Row>& rows, bool with_keys) {
  PGresult* started = PQexec(conn, ("COPY " + table + " FROM STDIN").c_str());
  const bool copying = PQresultStatus(started) == PGRES_COPY_IN;
  PQclear(started);
  if (!copying) return false;
  const std::string text = plain_copy_text(rows, with_keys);
  bool ok = PQputCopyData(conn, text.data(), static_cast<int>(text.size())) == 1 &&
            PQputCopyEnd(conn, nullptr) == 1;
  while (PGresult* result = PQgetResult(conn)) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      std::fprintf(stderr, "COPY %s: %s", table.c_str(), PQresultErrorMessage(result));
      ok = false;
    }
    PQclear(result);
  }
  return ok;
}

struct Measure {
  const char* name;
  double seconds = 0;
};

int run(int64_t total_rows, int64_t page_size) {
  testing::PgServer server;
  Result<int> started = server.start();
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().message.c_str());
    return 1;
  }
  DestinationOptions options;
  options.type = "postgres";
  options.dsn = server.dsn();
  options.password = server.password();
  Result<std::unique_ptr<Destination>> opened = make_postgres_destination(options);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  Destination& dest = **opened;

  const std::string dsn = server.dsn();
  const char* keys[] = {"dbname", "password", nullptr};
  const char* values[] = {dsn.c_str(), server.password().c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "%s", PQerrorMessage(conn));
    return 1;
  }
  const std::string columns = "ts timestamptz, sym text, i bigint, d double precision, s text";
  if (!exec_ok(conn, "CREATE TABLE raw_plain (" + columns + ")") ||
      !exec_ok(conn,
               "CREATE TABLE raw_keyed (" + columns +
                   ", _tsync_ts bigint NOT NULL, _tsync_key bigint NOT NULL, _tsync_dup bigint NOT NULL, "
                   "_tsync_synced_at timestamptz NOT NULL DEFAULT now(), "
                   "PRIMARY KEY (_tsync_ts, _tsync_key, _tsync_dup))"))
    return 1;
  const TableInfo info = bench_table();
  const TableRef ref{"bench", "ticks"};
  if (Status status = dest.ensure_table(ref, info); !status) {
    std::fprintf(stderr, "%s\n", status.error().message.c_str());
    return 1;
  }

  std::vector<Measure> measures = {{"raw COPY, plain table"},
                                   {"raw COPY, table with tsyncd's key"},
                                   {"tsyncd replace_range, new range"},
                                   {"tsyncd replace_range, re-sync"}};
  for (size_t m = 0; m < measures.size(); ++m) {
    for (int64_t first = 0; first < total_rows; first += page_size) {
      const std::vector<Row> page = make_page(first, std::min(page_size, total_rows - first));
      const TimeRange range{page.front().ts, page.back().ts, true};
      const auto t0 = Clock::now();
      bool ok = true;
      if (m == 0) ok = raw_copy(conn, "raw_plain", page, false);
      if (m == 1)
        ok = raw_copy(conn, "raw_keyed (ts, sym, i, d, s, _tsync_ts, _tsync_key, _tsync_dup)", page, true);
      if (m >= 2) {
        Status status = dest.replace_range(ref, info, range, page);
        if (!status) std::fprintf(stderr, "%s\n", status.error().message.c_str());
        ok = status.ok();
      }
      measures[m].seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      if (!ok) return 1;
    }
  }
  Result<int64_t> count = dest.count_rows(ref);
  PQfinish(conn);
  if (!count || *count != total_rows) {
    std::fprintf(stderr, "expected %lld rows in the destination\n", static_cast<long long>(total_rows));
    return 1;
  }

  std::printf("PostgreSQL destination, %lld rows in pages of %lld (throwaway cluster, fsync=off)\n",
              static_cast<long long>(total_rows), static_cast<long long>(page_size));
  for (const Measure& m : measures)
    std::printf("  %-36s %8.2f s  %10.0f rows/s\n", m.name, m.seconds,
                static_cast<double>(total_rows) / m.seconds);
  std::printf("  tsyncd (new range) / raw plain COPY time: %.2fx\n",
              measures[2].seconds / measures[0].seconds);
  return 0;
}

}  // namespace
}  // namespace tsyncd

int main(int argc, char** argv) {
  const long long rows = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const long long page = argc > 2 ? std::atoll(argv[2]) : 10000;
  if (rows <= 0 || page <= 0) {
    std::fprintf(stderr, "usage: postgres_bench [rows=1000000] [page_size=10000]\n");
    return 2;
  }
  return tsyncd::run(rows, page);
}
