// The SQLite destination, checked by reading the file back with the plain sqlite3 API.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "destinations/destinations.h"
#include "destinations/sqlite/sqlite_destination.h"

using namespace tsyncd;
using namespace std::string_literals;

namespace {

// A fresh directory under $TMPDIR, removed with everything in it.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tsyncd-sqlite-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::unique_ptr<Destination> open_sqlite(const std::string& path) {
  DestinationOptions options;
  options.path = path;
  auto dest = make_sqlite_destination(options);
  REQUIRE_MESSAGE(dest.ok(), dest.error().message);
  return std::move(*dest);
}

// One value as SQLite stores it.
struct Cell {
  int type = SQLITE_NULL;
  int64_t i = 0;
  double d = 0;
  std::string bytes;
};

// Reads a whole query with an independent connection, every cell with its storage class.
std::vector<std::vector<Cell>> query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  INFO(sql, ": ", sqlite3_errmsg(db));
  REQUIRE(rc == SQLITE_OK);
  std::vector<std::vector<Cell>> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<Cell> row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      Cell cell;
      cell.type = sqlite3_column_type(stmt, c);
      if (cell.type == SQLITE_INTEGER) cell.i = sqlite3_column_int64(stmt, c);
      if (cell.type == SQLITE_FLOAT) cell.d = sqlite3_column_double(stmt, c);
      if (cell.type == SQLITE_TEXT || cell.type == SQLITE_BLOB) {
        const void* p = cell.type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_column_text(stmt, c))
                                                 : sqlite3_column_blob(stmt, c);
        cell.bytes.assign(static_cast<const char*>(p), sqlite3_column_bytes(stmt, c));
      }
      row.push_back(std::move(cell));
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

int64_t count(const std::string& path, const std::string& table) {
  return query(path, "SELECT count(*) FROM \"" + table + "\"")[0][0].i;
}

uint64_t bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

Column col(std::string name, ColumnType type) { return Column{std::move(name), "", type}; }

// A table (ts text, v int64) in microseconds.
TableInfo simple_info() {
  TableInfo info;
  info.name = "t";
  info.columns = {col("ts", ColumnType::timestamp_us), col("v", ColumnType::int64)};
  info.time_index = 0;
  info.time_unit = TimeUnit::us;
  return info;
}

Row simple_row(int64_t ts, int64_t v, int64_t key = 0, int64_t dup = 0) {
  return Row{ts, {format_iso_time(ts, TimeUnit::us), v}, key == 0 ? v : key, dup};
}

// A fresh file holding table "c__t" of simple_info(), for the cases that need nothing else.
struct SimpleTableFile {
  TempDir dir;
  std::string path = dir.file("dest.db");
  std::unique_ptr<Destination> dest = open_sqlite(path);
  TableInfo info = simple_info();
  TableRef ref{"c", "t"};
  SimpleTableFile() { REQUIRE(dest->ensure_table(ref, info).ok()); }
};

// (ts, v) of every row, in key order.
std::vector<std::pair<int64_t, int64_t>> contents(const std::string& path, const std::string& table) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (auto& row : query(path, "SELECT _tsync_ts, v FROM \"" + table + "\" ORDER BY _tsync_ts, _tsync_key, _tsync_dup"))
    out.emplace_back(row[0].i, row[1].i);
  return out;
}

}  // namespace

TEST_CASE("type mapping matches the README table") {
  struct Case { ColumnType type; const char* sqlite; const char* postgres; };
  for (Case c : {Case{ColumnType::boolean, "INTEGER", "boolean"}, Case{ColumnType::int16, "INTEGER", "smallint"},
                 Case{ColumnType::int32, "INTEGER", "integer"}, Case{ColumnType::int64, "INTEGER", "bigint"},
                 Case{ColumnType::float32, "REAL", "real"}, Case{ColumnType::float64, "REAL", "double precision"},
                 Case{ColumnType::text, "TEXT", "text"}, Case{ColumnType::timestamp_ms, "TEXT", "timestamptz"},
                 Case{ColumnType::timestamp_us, "TEXT", "timestamptz"}, Case{ColumnType::timestamp_ns, "TEXT", "text"},
                 Case{ColumnType::decimal, "TEXT", "numeric"}, Case{ColumnType::uuid, "TEXT", "uuid"},
                 Case{ColumnType::ipv4, "TEXT", "inet"}, Case{ColumnType::json, "TEXT", "json"},
                 Case{ColumnType::blob, "BLOB", "bytea"}}) {
    CAPTURE(to_string(c.type));
    CHECK(sqlite_column_type(col("c", c.type)) == c.sqlite);
    CHECK(postgres_column_type(col("c", c.type)) == c.postgres);
  }
  Column dec{"d", "DECIMAL(18,4)", ColumnType::decimal, 18, 4};
  CHECK(postgres_column_type(dec) == "numeric(18,4)");
  CHECK(sqlite_column_type(dec) == "TEXT");
}

TEST_CASE("every column type round-trips exactly") {
  TempDir dir;
  const std::string path = dir.file("dest.db");
  auto dest = open_sqlite(path);

  TableInfo info;
  info.name = "types";
  info.time_index = 8;
  info.time_unit = TimeUnit::us;
  for (int t = 0; t <= static_cast<int>(ColumnType::blob); ++t) {
    ColumnType type = static_cast<ColumnType>(t);
    info.columns.push_back(col("c_" + std::string(to_string(type)), type));
  }
  REQUIRE(info.columns[8].type == ColumnType::timestamp_us);
  const TableRef ref{"conn", "types"};
  REQUIRE(dest->ensure_table(ref, info).ok());

  const std::vector<double> doubles = {5e-324,         DBL_MAX,  -DBL_MAX, DBL_MIN, 0.1 + 0.2, 1e300,
                                       2.0,            -1.5,     INFINITY, -INFINITY,
                                       3.4028234663852886e38 /* FLT_MAX */, 1.401298464324817e-45 /* float denormal */};
  const std::vector<std::string> texts = {"plain", "ünïcødé 名前 🙂", "quote ' and \" and `", "line1\nline2\r\n\ttab",
                                          "", "nul\0inside"s, "007", "1e5"};
  const std::string blob = "\0\x01\xff\0zero bytes\0"s;

  std::vector<Row> rows;
  const size_t n = std::max(doubles.size(), texts.size());
  for (size_t r = 0; r < n; ++r) {
    Row row;
    row.ts = 1704067200000000 + static_cast<int64_t>(r);
    row.key = static_cast<int64_t>(r);
    row.values = {int64_t{static_cast<int64_t>(r % 2)},
                  int64_t{r % 2 ? -32768 : 32767},
                  int64_t{r % 2 ? INT32_MIN : INT32_MAX},
                  int64_t{r % 2 ? INT64_MIN : INT64_MAX},
                  doubles[r % doubles.size()],
                  doubles[(r + 3) % doubles.size()],
                  texts[r % texts.size()],
                  "2024-01-01T00:00:00.123Z"s,
                  format_iso_time(row.ts, TimeUnit::us),
                  "2024-01-01T00:00:00.123456789Z"s,
                  "-12345678901234567890.123456789000"s,
                  "0195c3a8-7b9e-7f00-8000-000000000000"s,
                  "192.168.0.1"s,
                  "[[1.0,2.5],[null]]"s,
                  r == 0 ? std::string() : blob};
    rows.push_back(row);
  }
  Row nulls;
  nulls.ts = 1704067300000000;
  nulls.values.assign(info.columns.size(), Value{});
  rows.push_back(nulls);
  REQUIRE(dest->replace_range(ref, info, {rows.front().ts, rows.back().ts, true}, rows).ok());

  auto back = query(path, "SELECT * FROM \"conn__types\" ORDER BY _tsync_ts");
  REQUIRE(back.size() == rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    CAPTURE(r);
    for (size_t c = 0; c < info.columns.size(); ++c) {
      CAPTURE(info.columns[c].name);
      const Value& sent = rows[r].values[c];
      const Cell& got = back[r][c];
      if (is_null(sent)) {
        CHECK(got.type == SQLITE_NULL);
      } else if (auto i = std::get_if<int64_t>(&sent)) {
        REQUIRE(got.type == SQLITE_INTEGER);
        CHECK(got.i == *i);
      } else if (auto d = std::get_if<double>(&sent)) {
        REQUIRE(got.type == SQLITE_FLOAT);
        CHECK(bits(got.d) == bits(*d));
      } else {
        const std::string& s = std::get<std::string>(sent);
        CHECK(got.type == (info.columns[c].type == ColumnType::blob ? SQLITE_BLOB : SQLITE_TEXT));
        CHECK(got.bytes == s);  // embedded NUL bytes, the empty string and the empty blob included
      }
    }
    CHECK(back[r][info.columns.size()].i == rows[r].ts);      // _tsync_ts
    CHECK(back[r][info.columns.size() + 1].i == rows[r].key);  // _tsync_key
    CHECK(back[r][info.columns.size() + 3].type == SQLITE_TEXT);
  }
  // One synced_at per call, an ISO UTC timestamp in milliseconds.
  auto synced = query(path, "SELECT DISTINCT _tsync_synced_at FROM \"conn__types\"");
  REQUIRE(synced.size() == 1);
  CHECK(parse_iso_time(synced[0][0].bytes, TimeUnit::ms).ok());
  CHECK(synced[0][0].bytes.size() == 24);
}

TEST_CASE("NaN is kept as the text NaN and -0.0 reads back as 0.0 (SQLite REAL columns)") {
  TempDir dir;
  const std::string path = dir.file("dest.db");
  auto dest = open_sqlite(path);
  TableInfo info = simple_info();
  info.columns.push_back(col("d", ColumnType::float64));
  const TableRef ref{"c", "t"};
  REQUIRE(dest->ensure_table(ref, info).ok());
  std::vector<Row> rows = {Row{1, {"x"s, int64_t{1}, std::nan("")}, 1, 0}, Row{2, {"y"s, int64_t{2}, -0.0}, 2, 0}};
  REQUIRE(dest->replace_range(ref, info, {0, 10, false}, rows).ok());
  auto back = query(path, "SELECT d FROM \"c__t\" ORDER BY _tsync_ts");
  // A bound NaN would become NULL; the text keeps it distinct from a missing value.
  CHECK(back[0][0].type == SQLITE_TEXT);
  CHECK(back[0][0].bytes == "NaN");
  // SQLite writes an integral REAL as an integer on disk, so the sign of zero is not kept.
  CHECK(back[1][0].type == SQLITE_FLOAT);
  CHECK(back[1][0].d == 0.0);
}

TEST_CASE_FIXTURE(SimpleTableFile, "replace_range deletes only inside the range, honouring an inclusive or exclusive hi") {

  std::vector<Row> rows;
  for (int64_t ts = 0; ts < 10; ++ts) rows.push_back(simple_row(ts, ts));
  REQUIRE(dest->replace_range(ref, info, {0, 10, false}, rows).ok());
  CHECK(*dest->count_rows(ref) == 10);

  // [3, 6): 3, 4, 5 go, one new row at 3 arrives; 6 stays.
  REQUIRE(dest->replace_range(ref, info, {3, 6, false}, {simple_row(3, 33)}).ok());
  CHECK(contents(path, "c__t") == std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 1}, {2, 2}, {3, 33}, {6, 6},
                                                                           {7, 7}, {8, 8}, {9, 9}});
  // [6, 8]: 8 goes too.
  REQUIRE(dest->replace_range(ref, info, {6, 8, true}, {}).ok());
  CHECK(contents(path, "c__t") == std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 1}, {2, 2}, {3, 33}, {9, 9}});
  // Negative (pre-1970) timestamps are ordinary integers.
  REQUIRE(dest->replace_range(ref, info, {-5, 0, false}, {simple_row(-5, -5), simple_row(-1, -1)}).ok());
  CHECK(contents(path, "c__t").front() == std::pair<int64_t, int64_t>{-5, -5});
  CHECK(*dest->count_rows(ref) == 7);
}

TEST_CASE_FIXTURE(SimpleTableFile, "ties and identical rows are all kept") {
  std::vector<Row> rows;
  for (int64_t dup = 0; dup < 5; ++dup) rows.push_back(simple_row(100, 7, 42, dup));  // identical rows
  for (int64_t v = 0; v < 3; ++v) rows.push_back(simple_row(100, v, 1000 + v, 0));    // ties, other values
  REQUIRE(dest->replace_range(ref, info, {100, 100, true}, rows).ok());
  CHECK(*dest->count_rows(ref) == 8);
  CHECK(query(path, "SELECT count(*) FROM \"c__t\" WHERE v = 7")[0][0].i == 5);
  // Re-writing the same timestamp converges to the same rows, not twice as many.
  REQUIRE(dest->replace_range(ref, info, {100, 101, false}, rows).ok());
  CHECK(*dest->count_rows(ref) == 8);
}

TEST_CASE_FIXTURE(SimpleTableFile, "a failing insert rolls back the whole range") {
  std::vector<Row> rows;
  for (int64_t ts = 0; ts < 10; ++ts) rows.push_back(simple_row(ts, ts));
  REQUIRE(dest->replace_range(ref, info, {0, 10, false}, rows).ok());
  const auto before = contents(path, "c__t");

  SUBCASE("duplicate identity") {
    std::vector<Row> bad = {simple_row(2, 200), simple_row(5, 500, 9, 0), simple_row(5, 501, 9, 0)};
    Status s = dest->replace_range(ref, info, {0, 10, false}, bad);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::destination);
    CHECK(s.error().message.find("\"c__t\"") != std::string::npos);
    CHECK(s.error().message.find("UNIQUE") != std::string::npos);
  }
  SUBCASE("row outside the range is rejected before anything is written") {
    Status s = dest->replace_range(ref, info, {0, 5, false}, {simple_row(1, 100), simple_row(5, 500)});
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::internal);
  }
  SUBCASE("row with the wrong number of values") {
    Row short_row{3, {"x"s}, 3, 0};
    Status s = dest->replace_range(ref, info, {0, 10, false}, {short_row});
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::internal);
  }
  CHECK(contents(path, "c__t") == before);
  // The connection is usable again after the failure.
  REQUIRE(dest->replace_range(ref, info, {0, 10, false}, {simple_row(4, 4)}).ok());
  CHECK(*dest->count_rows(ref) == 1);
}

TEST_CASE_FIXTURE(SimpleTableFile, "schema growth adds columns; dropped source columns are kept") {
  REQUIRE(dest->replace_range(ref, info, {0, 2, false}, {simple_row(1, 1)}).ok());

  TableInfo grown = info;
  grown.columns.push_back(col("extra", ColumnType::text));
  REQUIRE(dest->ensure_table(ref, grown).ok());
  REQUIRE(dest->ensure_table(ref, grown).ok());  // idempotent
  REQUIRE(dest->replace_range(ref, grown, {2, 4, false}, {Row{2, {"a"s, int64_t{2}, "hello"s}, 2, 0}}).ok());

  // The source lost "v": the column stays, new rows hold NULL in it.
  TableInfo shrunk;
  shrunk.columns = {col("ts", ColumnType::timestamp_us), col("extra", ColumnType::text)};
  REQUIRE(dest->ensure_table(ref, shrunk).ok());
  REQUIRE(dest->replace_range(ref, shrunk, {4, 6, false}, {Row{4, {"b"s, "again"s}, 4, 0}}).ok());

  auto back = query(path, "SELECT v, extra FROM \"c__t\" ORDER BY _tsync_ts");
  REQUIRE(back.size() == 3);
  CHECK(back[0][0].i == 1);
  CHECK(back[0][1].type == SQLITE_NULL);
  CHECK(back[1][1].bytes == "hello");
  CHECK(back[2][0].type == SQLITE_NULL);
  CHECK(back[2][1].bytes == "again");
  auto columns = query(path, "SELECT name, type FROM pragma_table_info('c__t')");
  REQUIRE(columns.size() == 7);
  CHECK(columns[0][0].bytes == "ts");
  CHECK(columns[1][0].bytes == "v");
  CHECK(columns[2][0].bytes == "_tsync_ts");
  CHECK(columns[6][0].bytes == "extra");
  CHECK(columns[6][1].bytes == "TEXT");
}

TEST_CASE("a column whose type changed is a destination error naming table, column and both types") {
  TempDir dir;
  auto dest = open_sqlite(dir.file("dest.db"));
  TableInfo info = simple_info();
  const TableRef ref{"c", "t"};
  REQUIRE(dest->ensure_table(ref, info).ok());
  info.columns[1] = Column{"v", "STRING", ColumnType::text};
  Status s = dest->ensure_table(ref, info);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::destination);
  const std::string& m = s.error().message;
  CAPTURE(m);
  CHECK(m.find("\"c__t\"") != std::string::npos);
  CHECK(m.find("\"v\"") != std::string::npos);
  CHECK(m.find("INTEGER") != std::string::npos);
  CHECK(m.find("TEXT") != std::string::npos);
}

TEST_CASE("names are quoted, never rewritten") {
  TempDir dir;
  const std::string path = dir.file("dest.db");
  auto dest = open_sqlite(path);
  TableInfo info;
  info.columns = {col("time stamp", ColumnType::timestamp_us), col("prix ü 名", ColumnType::float64),
                  col("say \"hi\"", ColumnType::text), col("__x__", ColumnType::int64), col("", ColumnType::int64),
                  col("Ä", ColumnType::int64), col("ä", ColumnType::int64)};  // SQLite folds ASCII only
  const TableRef ref{"my conn", "tab \"le\" ünï__x"};
  REQUIRE(dest->ensure_table(ref, info).ok());
  Row row{5, {"2024"s, 1.5, "\"q\""s, int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}}, 1, 0};
  REQUIRE(dest->replace_range(ref, info, {5, 5, true}, {row}).ok());
  CHECK(dest->describe(ref) == "sqlite table \"my conn__tab \"\"le\"\" ünï__x\" in " + path);

  auto back = query(path, "SELECT \"time stamp\", \"prix ü 名\", \"say \"\"hi\"\"\", \"__x__\", \"\", \"Ä\", \"ä\" "
                          "FROM \"my conn__tab \"\"le\"\" ünï__x\"");
  REQUIRE(back.size() == 1);
  CHECK(back[0][0].bytes == "2024");
  CHECK(back[0][1].d == 1.5);
  CHECK(back[0][2].bytes == "\"q\"");
  CHECK(back[0][3].i == 1);
  CHECK(back[0][4].i == 2);
  CHECK(back[0][5].i == 3);
  CHECK(back[0][6].i == 4);
}

TEST_CASE("names SQLite cannot keep apart are config errors") {
  TempDir dir;
  auto dest = open_sqlite(dir.file("dest.db"));
  TableInfo info = simple_info();
  const TableRef ref{"c", "t"};

  SUBCASE("tsyncd's own column names, in any case") {
    for (const char* name : {"_tsync_ts", "_TSYNC_KEY", "_Tsync_Dup", "_tsync_synced_at"}) {
      CAPTURE(name);
      TableInfo bad = info;
      bad.columns.push_back(col(name, ColumnType::int64));
      Status s = dest->ensure_table(ref, bad);
      REQUIRE_FALSE(s.ok());
      CHECK(s.error().kind == ErrorKind::config);
      CHECK(s.error().message.find("\"c__t\"") != std::string::npos);
      CHECK(s.error().message.find(name) != std::string::npos);
    }
  }
  SUBCASE("two columns that differ only in case") {
    info.columns.push_back(col("Price", ColumnType::float64));
    info.columns.push_back(col("pRICE", ColumnType::float64));
    Status s = dest->ensure_table(ref, info);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::config);
    CHECK(s.error().message.find("\"Price\"") != std::string::npos);
    CHECK(s.error().message.find("\"pRICE\"") != std::string::npos);
  }
  SUBCASE("two (connector, table) pairs that map to one SQLite table") {
    REQUIRE(dest->ensure_table({"a", "b__c"}, info).ok());
    Status s = dest->ensure_table({"a__b", "c"}, info);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::config);
    CHECK(s.error().message.find("\"a__b__c\"") != std::string::npos);
    Status folded = dest->ensure_table({"A", "B__C"}, info);
    REQUIRE_FALSE(folded.ok());
    CHECK(folded.error().kind == ErrorKind::config);
    CHECK(dest->ensure_table({"a", "b__c"}, info).ok());  // the owner itself still works
  }
  SUBCASE("a table name SQLite reserves for itself") {
    Status s = dest->ensure_table({"SQLite_x", "t"}, info);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::config);
  }
  SUBCASE("a NUL byte in a name") {
    info.columns.push_back(col("a\0b"s, ColumnType::int64));
    Status s = dest->ensure_table(ref, info);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::config);
  }
  CHECK(*dest->count_rows(ref) == 0);
}

TEST_CASE("a table tsyncd did not create is not written into") {
  TempDir dir;
  const std::string path = dir.file("dest.db");
  auto dest = open_sqlite(path);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE \"c__t\" (ts TEXT, v INTEGER)", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  Status s = dest->ensure_table({"c", "t"}, simple_info());
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::destination);
  CHECK(s.error().message.find("_tsync_ts") != std::string::npos);
}

TEST_CASE("re-opening the file keeps the data; the file is in WAL mode") {
  TempDir dir;
  const std::string path = dir.file("dest.db");
  const TableRef ref{"c", "t"};
  TableInfo info = simple_info();
  {
    auto dest = open_sqlite(path);
    CHECK(*dest->count_rows(ref) == 0);  // no table yet
    REQUIRE(dest->ensure_table(ref, info).ok());
    REQUIRE(dest->replace_range(ref, info, {0, 3, false}, {simple_row(0, 0), simple_row(1, 1), simple_row(2, 2)}).ok());
  }
  auto dest = open_sqlite(path);
  CHECK(*dest->count_rows(ref) == 3);
  REQUIRE(dest->ensure_table(ref, info).ok());
  REQUIRE(dest->replace_range(ref, info, {2, 4, false}, {simple_row(3, 3)}).ok());
  CHECK(contents(path, "c__t") == std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 1}, {3, 3}});
  CHECK(query(path, "PRAGMA journal_mode")[0][0].bytes == "wal");
}

TEST_CASE("two destinations on one file write different tables from two threads") {
  TempDir dir;
  const std::string path = dir.file("dest.db");
  TableInfo info = simple_info();
  constexpr int kBatches = 40, kRowsPerBatch = 250;
  auto worker = [&](std::string table, Status& result) {
    auto dest = open_sqlite(path);
    const TableRef ref{"c", table};
    result = dest->ensure_table(ref, info);
    for (int b = 0; b < kBatches && result.ok(); ++b) {
      std::vector<Row> rows;
      for (int i = 0; i < kRowsPerBatch; ++i) rows.push_back(simple_row(b * kRowsPerBatch + i, i));
      result = dest->replace_range(ref, info, {b * kRowsPerBatch, (b + 1) * kRowsPerBatch, false}, rows);
    }
  };
  Status a, b;
  std::thread ta(worker, "one", std::ref(a));
  std::thread tb(worker, "two", std::ref(b));
  ta.join();
  tb.join();
  CHECK_MESSAGE(a.ok(), (a.ok() ? "" : a.error().message));
  CHECK_MESSAGE(b.ok(), (b.ok() ? "" : b.error().message));
  CHECK(count(path, "c__one") == kBatches * kRowsPerBatch);
  CHECK(count(path, "c__two") == kBatches * kRowsPerBatch);
}

TEST_CASE("an unusable path is a destination error naming it") {
  DestinationOptions options;
  options.path = "/nonexistent-dir/for/tsyncd/dest.db";
  auto dest = make_sqlite_destination(options);
  REQUIRE_FALSE(dest.ok());
  CHECK(dest.error().kind == ErrorKind::destination);
  CHECK(dest.error().message.find(options.path) != std::string::npos);
}

TEST_CASE("the destination pool hands an idle destination back out and opens one only when none is idle") {
  TempDir dir;
  DestinationOptions options;
  options.path = dir.file("dest.db");
  DestinationPool pool(options);
  auto first = pool.take();
  auto second = pool.take();  // the first is in use: a second one is opened
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  Destination* first_raw = first->get();
  Destination* second_raw = second->get();
  CHECK(first_raw != second_raw);

  pool.give_back(std::move(*first), true);
  auto again = pool.take();
  REQUIRE(again.ok());
  CHECK(again->get() == first_raw);  // reused, not reopened

  // Not reused after a destination error: the next take() opens a fresh one.
  pool.give_back(std::move(*second), false);
  auto fresh = pool.take();
  REQUIRE(fresh.ok());
  CHECK(fresh->get() != first_raw);
  CHECK(*fresh != nullptr);

  // A reused destination still writes.
  const TableRef ref{"c", "t"};
  TableInfo info = simple_info();
  REQUIRE((*again)->ensure_table(ref, info).ok());
  REQUIRE((*again)->replace_range(ref, info, {0, 1, false}, {simple_row(0, 7)}).ok());
  CHECK(count(options.path, "c__t") == 1);
}

TEST_CASE("a pool for a destination that cannot open gives the error on take()") {
  DestinationOptions options;
  options.path = "/nonexistent-dir/for/tsyncd/dest.db";
  DestinationPool pool(options);
  auto dest = pool.take();
  REQUIRE_FALSE(dest.ok());
  CHECK(dest.error().message.find(options.path) != std::string::npos);
}
