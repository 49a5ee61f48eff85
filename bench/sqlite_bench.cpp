// bench_sqlite: benchmark (b), the floor set by the destination. Inserts the rows tsyncd writes
// into a fresh SQLite file laid out like tsyncd's (destinations/sqlite: WAL, synchronous=FULL,
// WITHOUT ROWID, PRIMARY KEY (_tsync_ts, _tsync_key, _tsync_dup), same column types), with one
// prepared INSERT and one transaction per page, and prints how long the inserts took.
//
// The rows are the real ones: they are first read from the (fake) QuestDB with the same page walk
// as tsyncd and bench_download, untimed, and kept in memory grouped by the transaction tsyncd
// would put them in. Only the inserts are timed. tsyncd's one range DELETE per transaction is left
// out: into an empty table it is one b-tree seek.
//
//   bench_sqlite --port N --db FILE [--host H] [--table T] [--page-size N]
//   bench_sqlite --count FILE TABLE      prints count(*) of TABLE (run.sh checks tsyncd's result)
//
// Output, one line: bench_sqlite seconds=S cpu_seconds=C rows=R rows_per_s=X transactions=T
// (cpu_seconds: this process's CPU time during the inserts; on a busy machine it shows how much
// of `seconds` was waiting for a CPU or the disk).
#include <simdjson.h>
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "page_walk.h"

namespace tsyncd::bench {
namespace {

// The SQLite column type tsyncd gives a QuestDB type (destinations/type_mapping.cpp): integers
// and booleans INTEGER, floats REAL, BINARY BLOB, everything else (timestamps included) TEXT.
enum class Affinity { integer, real, text };

Affinity affinity_of(const std::string& questdb_type) {
  for (const char* t : {"BOOLEAN", "BYTE", "SHORT", "INT", "LONG"})
    if (questdb_type == t) return Affinity::integer;
  if (questdb_type == "FLOAT" || questdb_type == "DOUBLE") return Affinity::real;
  return Affinity::text;
}

const char* sql_type(Affinity a) {
  switch (a) {
    case Affinity::integer: return "INTEGER";
    case Affinity::real: return "REAL";
    case Affinity::text: return "TEXT";
  }
  return "TEXT";
}

// The rows of one destination transaction.
using Transaction = std::vector<Row>;

struct Loaded {
  std::vector<SourceColumn> columns;
  std::vector<Transaction> transactions;
  size_t rows = 0;
};

Error bad(std::string message) { return make_error(ErrorKind::protocol, std::move(message)); }

Result<Value> read_value(simdjson::ondemand::value cell, Affinity affinity) {
  bool null = false;
  if (cell.is_null().get(null)) return bad("bad JSON value");
  if (null) return Value{};
  if (affinity == Affinity::integer) {
    bool b = false;
    if (!cell.get_bool().get(b)) return Value{int64_t{b ? 1 : 0}};
    int64_t i = 0;
    if (cell.get_int64().get(i)) return bad("expected an integer");
    return Value{i};
  }
  if (affinity == Affinity::real) {
    double d = 0;
    if (cell.get_double().get(d)) return bad("expected a number");
    return Value{d};
  }
  std::string_view text;
  if (cell.get_string().get(text)) return bad("expected a string");
  return Value{std::string(text)};
}

// Parses every value of the page's complete rows and gives each row tsyncd's identity shape: a
// 64-bit hash of its values as _tsync_key, and 0..n-1 among equal (ts, key) as _tsync_dup.
Status load_page(Page& page, simdjson::ondemand::parser& parser, Loaded& out) {
  if (page.complete == 0) return ok_status();
  std::vector<Affinity> affinities;
  for (const SourceColumn& c : page.columns) affinities.push_back(affinity_of(c.type));
  page.body.reserve(page.body.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  simdjson::ondemand::array dataset;
  if (parser.iterate(page.body.data(), page.body.size(), page.body.capacity()).get(doc) ||
      doc["dataset"].get_array().get(dataset))
    return bad("page: no dataset");
  Transaction rows;
  std::unordered_map<int64_t, int64_t> dups_at_ts;
  std::string identity;
  for (auto row_value : dataset) {
    if (rows.size() == page.complete) break;
    simdjson::ondemand::array cells;
    if (row_value.get_array().get(cells)) return bad("page: a row is not an array");
    Row row;
    row.ts = page.ts[rows.size()];
    identity.clear();
    for (auto cell_value : cells) {
      simdjson::ondemand::value cell;
      if (cell_value.get(cell)) return bad("page: bad value");
      Result<Value> v = read_value(cell, affinities[row.values.size()]);
      if (!v) return v.error().with_context("column " + page.columns[row.values.size()].name);
      if (const auto* s = std::get_if<std::string>(&*v)) identity += *s;
      if (const auto* i = std::get_if<int64_t>(&*v)) identity += std::to_string(*i);
      if (const auto* d = std::get_if<double>(&*v)) identity += std::to_string(*d);
      identity += '\x1f';
      row.values.push_back(std::move(*v));
    }
    if (row.values.size() != page.columns.size()) return bad("page: a row has the wrong number of values");
    if (!rows.empty() && rows.back().ts != row.ts) dups_at_ts.clear();
    row.key = static_cast<int64_t>(std::hash<std::string>{}(identity));  // a 64-bit hash, like tsyncd's XXH3
    row.dup = dups_at_ts[row.key]++;
    rows.push_back(std::move(row));
  }
  out.rows += rows.size();
  out.transactions.push_back(std::move(rows));
  return ok_status();
}

Result<Loaded> load(const WalkOptions& options) {
  Loaded loaded;
  simdjson::ondemand::parser parser;
  auto totals = walk_table(options, [&](Page& page) { return load_page(page, parser, loaded); });
  if (!totals) return totals.error();
  loaded.columns = totals->columns;
  return loaded;
}

// A tiny owner of the database handle; errors carry SQLite's message.
class Db {
 public:
  ~Db() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }

  Status open(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      return error("open " + path);
    return ok_status();
  }
  Status exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return error(sql);
    return ok_status();
  }
  Status prepare_insert(const std::string& sql) {
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &insert_, nullptr) != SQLITE_OK)
      return error(sql);
    return ok_status();
  }
  sqlite3_stmt* insert() { return insert_; }
  Result<int64_t> count(const std::string& table) {
    sqlite3_stmt* stmt = nullptr;
    std::string sql = "SELECT count(*) FROM " + quote_identifier(table);
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return error(sql);
    int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    if (n < 0) return error(sql);
    return n;
  }
  Error error(const std::string& what) const {
    return make_error(ErrorKind::destination, what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

Status create_table(Db& db, const std::vector<SourceColumn>& columns, const std::string& table) {
  if (Status s = db.exec("PRAGMA journal_mode=WAL"); !s) return s;
  if (Status s = db.exec("PRAGMA synchronous=FULL"); !s) return s;
  std::string create = "CREATE TABLE " + quote_identifier(table) + " (", names, params;
  for (const SourceColumn& c : columns) {
    create += quote_identifier(c.name) + " " + sql_type(affinity_of(c.type)) + ", ";
    names += quote_identifier(c.name) + ", ";
    params += "?, ";
  }
  create +=
      "_tsync_ts INTEGER NOT NULL, _tsync_key INTEGER NOT NULL, _tsync_dup INTEGER NOT NULL, "
      "_tsync_synced_at TEXT NOT NULL, PRIMARY KEY (_tsync_ts, _tsync_key, _tsync_dup)) WITHOUT ROWID";
  if (Status s = db.exec(create); !s) return s;
  return db.prepare_insert("INSERT INTO " + quote_identifier(table) + " (" + names +
                           "_tsync_ts, _tsync_key, _tsync_dup, _tsync_synced_at) VALUES (" + params + "?, ?, ?, ?)");
}

// The timed part: every transaction as tsyncd would commit it.
Status insert_all(Db& db, const Loaded& loaded) {
  sqlite3_stmt* insert = db.insert();
  const int n = static_cast<int>(loaded.columns.size());
  for (const Transaction& rows : loaded.transactions) {
    const std::string synced_at = format_iso_time(now_in(TimeUnit::ms), TimeUnit::ms);
    if (Status s = db.exec("BEGIN IMMEDIATE"); !s) return s;
    for (const Row& row : rows) {
      for (int i = 0; i < n; ++i) {
        const Value& v = row.values[i];
        if (const auto* x = std::get_if<int64_t>(&v)) sqlite3_bind_int64(insert, i + 1, *x);
        else if (const auto* d = std::get_if<double>(&v)) sqlite3_bind_double(insert, i + 1, *d);
        else if (const auto* s = std::get_if<std::string>(&v))
          sqlite3_bind_text64(insert, i + 1, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
        else sqlite3_bind_null(insert, i + 1);
      }
      sqlite3_bind_int64(insert, n + 1, row.ts);
      sqlite3_bind_int64(insert, n + 2, row.key);
      sqlite3_bind_int64(insert, n + 3, row.dup);
      sqlite3_bind_text64(insert, n + 4, synced_at.data(), synced_at.size(), SQLITE_STATIC, SQLITE_UTF8);
      int rc = sqlite3_step(insert);
      sqlite3_reset(insert);
      if (rc != SQLITE_DONE) return db.error("insert");
    }
    if (Status s = db.exec("COMMIT"); !s) return s;
  }
  return ok_status();
}

int usage(const std::string& why) {
  std::fprintf(stderr,
               "bench_sqlite: %s\nusage: bench_sqlite --port N --db FILE [--host H] [--table T] [--page-size N]\n"
               "       bench_sqlite --count FILE TABLE\n",
               why.c_str());
  return 2;
}

int fail(const Error& e) {
  std::fprintf(stderr, "bench_sqlite: %s\n", e.message.c_str());
  return 1;
}

int count_rows(const std::string& path, const std::string& table) {
  Db db;
  if (Status s = db.open(path); !s) return fail(s.error());
  Result<int64_t> n = db.count(table);
  if (!n) return fail(n.error());
  std::printf("%lld\n", static_cast<long long>(*n));
  return 0;
}

int run(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--count") return count_rows(argv[2], argv[3]);
  WalkOptions options;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage("missing value after " + arg);
    std::string value = argv[++i];
    if (arg == "--db") path = value;
    else if (!set_walk_option(options, arg, value)) return usage("unknown option " + arg);
  }
  if (std::string problem = check_walk_options(options); !problem.empty()) return usage(problem);
  if (path.empty()) return usage("--db is required");

  Result<Loaded> loaded = load(options);
  if (!loaded) return fail(loaded.error());
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  Db db;
  if (Status s = db.open(path); !s) return fail(s.error());
  if (Status s = create_table(db, loaded->columns, options.table); !s) return fail(s.error());

  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  if (Status s = insert_all(db, *loaded); !s) return fail(s.error());
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  Result<int64_t> n = db.count(options.table);
  if (!n) return fail(n.error());
  if (*n != static_cast<int64_t>(loaded->rows))
    return fail(make_error(ErrorKind::internal, "the table holds " + std::to_string(*n) + " rows, not " +
                                                    std::to_string(loaded->rows)));
  std::printf("bench_sqlite seconds=%.3f cpu_seconds=%.3f rows=%zu rows_per_s=%.0f transactions=%zu\n",
              elapsed.count(), cpu, loaded->rows, static_cast<double>(loaded->rows) / elapsed.count(),
              loaded->transactions.size());
  return 0;
}

}  // namespace
}  // namespace tsyncd::bench

int main(int argc, char** argv) {
  try {
    return tsyncd::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_sqlite: %s\n", e.what());
    return 1;
  }
}
