// The PostgreSQL destination against a real, throwaway PostgreSQL server (tests/support). Values
// are read back with SQL in their exact forms: doubles as their IEEE bits (float8send), timestamps
// as epoch microseconds, everything else as the server's own text output.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <latch>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "destinations/postgres/postgres_destination.h"
#include "support/pg_server.h"

namespace tsyncd {
namespace {

using testing::PgServer;
using Rows = std::vector<std::vector<std::string>>;

// One cluster for the whole suite (initdb and start take seconds); each case uses its own schema.
struct Cluster {
  PgServer server;
  Result<int> started = server.start();

  std::string start_error() const { return started.ok() ? std::string() : started.error().message; }
};

Cluster& cluster() {
  static Cluster instance;
  return instance;
}

DestinationOptions options(const std::string& extra_dsn = "") {
  DestinationOptions options;
  options.type = "postgres";
  options.dsn = cluster().server.dsn() + extra_dsn;
  options.password = cluster().server.password();
  return options;
}

std::unique_ptr<Destination> open(const std::string& extra_dsn = "") {
  REQUIRE_MESSAGE(cluster().started.ok(), cluster().start_error());
  Result<std::unique_ptr<Destination>> destination = make_postgres_destination(options(extra_dsn));
  REQUIRE_MESSAGE(destination.ok(), (destination.ok() ? "" : destination.error().message));
  return std::move(destination.value());
}

// A plain libpq connection to read back what the destination wrote.
class Sql {
 public:
  Sql() {
    REQUIRE_MESSAGE(cluster().started.ok(), cluster().start_error());
    const std::string dsn = cluster().server.dsn();
    const char* keys[] = {"dbname", "password", nullptr};
    const char* values[] = {dsn.c_str(), cluster().server.password().c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    REQUIRE_MESSAGE(PQstatus(conn_) == CONNECTION_OK, PQerrorMessage(conn_));
    exec("SET TimeZone = 'UTC'");
    exec("SET extra_float_digits = 3");
  }
  ~Sql() { PQfinish(conn_); }
  Sql(const Sql&) = delete;
  Sql& operator=(const Sql&) = delete;

  // Every row, NULL shown as "NULL".
  Rows rows(const std::string& query) {
    PGresult* result = PQexec(conn_, query.c_str());
    const ExecStatusType status = PQresultStatus(result);
    const std::string error = PQresultErrorMessage(result);
    Rows rows;
    for (int r = 0; r < PQntuples(result); ++r) {
      rows.emplace_back();
      for (int c = 0; c < PQnfields(result); ++c)
        rows.back().push_back(PQgetisnull(result, r, c) ? "NULL" : PQgetvalue(result, r, c));
    }
    PQclear(result);
    REQUIRE_MESSAGE((status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK), (query + ": " + error));
    return rows;
  }

  std::string value(const std::string& query) {
    Rows result = rows(query);
    REQUIRE(result.size() == 1);
    REQUIRE(result[0].size() == 1);
    return result[0][0];
  }

  void exec(const std::string& query) { (void)rows(query); }

 private:
  PGconn* conn_ = nullptr;
};

Column col(std::string name, ColumnType type, int precision = 0, int scale = 0) {
  Column column;
  column.name = std::move(name);
  column.source_type = std::string(to_string(type));
  column.type = type;
  column.precision = precision;
  column.scale = scale;
  return column;
}

TableInfo table_info(std::string name, std::vector<Column> columns) {
  TableInfo info;
  info.name = std::move(name);
  info.columns = std::move(columns);
  info.time_index = 0;
  info.time_unit = TimeUnit::us;
  return info;
}

// The usual shape of the simpler cases: a time column and one integer.
TableInfo ts_v_table(const std::string& name) {
  return table_info(name, {col("ts", ColumnType::timestamp_us), col("v", ColumnType::int64)});
}

Row ts_v_row(int64_t ts, int64_t v, int64_t key, int64_t dup = 0) {
  return Row{ts, {format_iso_time(ts, TimeUnit::us), v}, key, dup};
}

TimeRange closed(int64_t lo, int64_t hi) { return TimeRange{lo, hi, true}; }
TimeRange half_open(int64_t lo, int64_t hi) { return TimeRange{lo, hi, false}; }

std::string error_of(const Status& status) { return status.ok() ? "(ok)" : status.error().message; }

std::string hex_bits(double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(bits));
  return out;
}

std::string hex_bits(float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  char out[9];
  std::snprintf(out, sizeof out, "%08x", bits);
  return out;
}

// _tsync_ts and v of every row, in key order: "ts:v".
std::vector<std::string> ts_v_contents(Sql& sql, const std::string& table) {
  std::vector<std::string> out;
  for (const auto& row : sql.rows("SELECT _tsync_ts, v, _tsync_key, _tsync_dup FROM " + table +
                                  " ORDER BY _tsync_ts, _tsync_key, _tsync_dup"))
    out.push_back(row[0] + ":" + row[1]);
  return out;
}

TEST_CASE("the test cluster runs and the password is passed as a parameter") {
  REQUIRE_MESSAGE(cluster().started.ok(), cluster().start_error());
  CHECK(cluster().server.port() > 0);
  Sql sql;
  CHECK(sql.value("SELECT inet_server_addr()::text") == "127.0.0.1/32");

  DestinationOptions wrong = options();
  wrong.password = "wrong-Secret-4711";
  Result<std::unique_ptr<Destination>> refused = make_postgres_destination(wrong);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::destination);
  CHECK(refused.error().message.find("password authentication failed") != std::string::npos);
  CHECK(refused.error().message.find("wrong-Secret-4711") == std::string::npos);

  // A server message that happens to contain the password (here: as a database name) is scrubbed.
  DestinationOptions leaky = options();
  leaky.dsn = cluster().server.dsn(cluster().server.password());
  Result<std::unique_ptr<Destination>> leaked = make_postgres_destination(leaky);
  REQUIRE_FALSE(leaked.ok());
  CHECK(leaked.error().message.find("does not exist") != std::string::npos);
  CHECK(leaked.error().message.find("***") != std::string::npos);
  CHECK(leaked.error().message.find(cluster().server.password()) == std::string::npos);

  DestinationOptions nobody = options();
  nobody.dsn = "host=127.0.0.1 port=1 dbname=x connect_timeout=2";
  Result<std::unique_ptr<Destination>> unreachable = make_postgres_destination(nobody);
  REQUIRE_FALSE(unreachable.ok());
  CHECK(unreachable.error().kind == ErrorKind::destination);
  CHECK(unreachable.error().message.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("every column type round-trips exactly") {
  auto dest = open();
  Sql sql;
  const TableRef ref{"roundtrip", "all_types"};
  const TableInfo info = table_info(
      "all_types",
      {col("ts", ColumnType::timestamp_us), col("b", ColumnType::boolean), col("i16", ColumnType::int16),
       col("i32", ColumnType::int32), col("i64", ColumnType::int64), col("f32", ColumnType::float32),
       col("f64", ColumnType::float64), col("txt", ColumnType::text), col("tms", ColumnType::timestamp_ms),
       col("tns", ColumnType::timestamp_ns), col("dec", ColumnType::decimal, 76, 10),
       col("num", ColumnType::decimal), col("id", ColumnType::uuid), col("ip", ColumnType::ipv4),
       col("j", ColumnType::json), col("bin", ColumnType::blob)});
  Status ensured = dest->ensure_table(ref, info);
  REQUIRE_MESSAGE(ensured.ok(), error_of(ensured));

  CHECK(sql.rows("SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                 "WHERE a.attrelid = 'roundtrip.all_types'::regclass AND a.attnum > 0 ORDER BY a.attnum") ==
        Rows{{"ts timestamp with time zone"},
             {"b boolean"},
             {"i16 smallint"},
             {"i32 integer"},
             {"i64 bigint"},
             {"f32 real"},
             {"f64 double precision"},
             {"txt text"},
             {"tms timestamp with time zone"},
             {"tns text"},
             {"dec numeric(76,10)"},
             {"num numeric"},
             {"id uuid"},
             {"ip inet"},
             {"j json"},
             {"bin bytea"},
             {"_tsync_ts bigint"},
             {"_tsync_key bigint"},
             {"_tsync_dup bigint"},
             {"_tsync_synced_at timestamp with time zone"}});

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::string digits66 = "123456789012345678901234567890123456789012345678901234567890123456";
  const std::string tricky_text =
      "unicode ü 日本 🎉, quotes ' \" ``, newline\nand\r\ncr, tab\there, "
      "backslash \\ \\N \\. \\x00 end";
  const std::string bytes("\0\x01\xff\\\n\t\0", 7);

  struct Case {
    std::string ts_iso;
    std::vector<Value> rest;  // every column after ts
  };
  const std::vector<Case> cases = {
      {"1969-12-31T23:59:59.999999Z",
       {int64_t{1}, int64_t{32767}, int64_t{2147483647}, std::numeric_limits<int64_t>::max(),
        static_cast<double>(0.1f), 0.1, tricky_text, std::string("1969-12-31T23:59:59.999Z"),
        std::string("2262-04-11T23:47:16.854775807Z"), digits66 + ".1234567890",
        std::string("0.000000000000000000000000000000000000000001"),
        std::string("123e4567-e89b-12d3-a456-426614174000"), std::string("255.255.255.255"),
        std::string("[1,2.5,\"a\\n\",null,[true,{\"k\":\"v\"}]]"), bytes}},
      {"0001-01-01T00:00:00.000001Z",
       {int64_t{0}, int64_t{-32768}, int64_t{-2147483648LL}, std::numeric_limits<int64_t>::min(),
        static_cast<double>(-0.0f), -0.0, std::string(""), std::string("0001-01-01T00:00:00.000Z"),
        std::string("1677-09-21T00:12:43.145224192Z"), "-" + digits66 + ".0000000001",
        std::string("-12345678901234567890.123456789012345678901234567890"),
        std::string("00000000-0000-0000-0000-000000000000"), std::string("0.0.0.0"), std::string("[]"),
        std::string()}},
      {"9999-12-31T23:59:59.999999Z",
       {Value{}, Value{}, Value{}, Value{}, static_cast<double>(std::numeric_limits<float>::denorm_min()),
        5e-324, std::string("NULL"), std::string("9999-12-31T23:59:59.999Z"), Value{}, std::string("0E-10"),
        std::string("NaN"), Value{}, std::string("10.1.2.3"), std::string("{\"nested\":[[],{}]}"), Value{}}},
      {"1900-06-15T12:34:56.123456Z",
       {Value{}, Value{}, Value{}, Value{}, static_cast<double>(std::numeric_limits<float>::max()),
        1.7976931348623157e308, Value{}, Value{}, Value{}, Value{}, Value{}, Value{}, Value{}, Value{},
        Value{}}},
      {"0000-06-01T12:00:00.500000Z",
       {Value{}, Value{}, Value{}, Value{}, nan, nan, Value{}, Value{}, Value{}, Value{}, Value{}, Value{},
        Value{}, Value{}, Value{}}},
      {"-0001-01-01T00:00:00.000000Z",
       {Value{}, Value{}, Value{}, Value{}, inf, inf, Value{}, Value{}, Value{}, Value{}, Value{}, Value{},
        Value{}, Value{}, Value{}}},
      {"2024-02-29T00:00:00.000000Z",
       {Value{}, Value{}, Value{}, Value{}, -inf, -inf, Value{}, Value{}, Value{}, Value{}, Value{}, Value{},
        Value{}, Value{}, Value{}}},
  };

  std::vector<Row> rows;
  for (const Case& c : cases) {
    Result<int64_t> ts = parse_iso_time(c.ts_iso, TimeUnit::us);
    REQUIRE_MESSAGE(ts.ok(), c.ts_iso);
    Row row{*ts, {c.ts_iso}, 7, 0};
    row.values.insert(row.values.end(), c.rest.begin(), c.rest.end());
    rows.push_back(row);
  }
  const TimeRange range = closed(rows[5].ts, rows[2].ts);
  Status written = dest->replace_range(ref, info, range, rows);
  REQUIRE_MESSAGE(written.ok(), error_of(written));

  const Rows got = sql.rows(
      "SELECT _tsync_ts, (extract(epoch from ts) * 1000000)::bigint, ts, b, i16, i32, i64, "
      "encode(float4send(f32), 'hex'), encode(float8send(f64), 'hex'), f64, txt, "
      "(extract(epoch from tms) * 1000)::bigint, tns, dec, num, id, ip, j, encode(bin, 'hex'), "
      "_tsync_key, _tsync_dup, _tsync_synced_at IS NOT NULL FROM roundtrip.all_types ORDER BY _tsync_ts");
  REQUIRE(got.size() == cases.size());
  std::vector<std::string> ts_column;
  for (size_t r = 0; r < got.size(); ++r) ts_column.push_back(got[r][2]);
  // Sorted by time: -0001 (2 BC), 0000 (1 BC), 0001, 1900, 1969, 2024, 9999.
  CHECK(ts_column == std::vector<std::string>{"0002-01-01 00:00:00+00 BC", "0001-06-01 12:00:00.5+00 BC",
                                              "0001-01-01 00:00:00.000001+00",
                                              "1900-06-15 12:34:56.123456+00",
                                              "1969-12-31 23:59:59.999999+00", "2024-02-29 00:00:00+00",
                                              "9999-12-31 23:59:59.999999+00"});
  for (const Rows::value_type& row : got) {
    CAPTURE(row[2]);
    CHECK(row[0] == row[1]);  // the timestamp kept every microsecond
    CHECK(row[19] == "7");
    CHECK(row[20] == "0");
    CHECK(row[21] == "t");
  }
  auto row_at = [&](size_t case_index) -> const std::vector<std::string>& {
    for (const auto& row : got)
      if (row[0] == std::to_string(rows[case_index].ts)) return row;
    FAIL("row missing");
    return got[0];
  };

  const auto& r0 = row_at(0);
  CHECK(r0[3] == "t");
  CHECK(r0[4] == "32767");
  CHECK(r0[5] == "2147483647");
  CHECK(r0[6] == "9223372036854775807");
  CHECK(r0[7] == hex_bits(0.1f));
  CHECK(r0[8] == hex_bits(0.1));
  CHECK(r0[9] == "0.1");
  CHECK(r0[10] == tricky_text);
  CHECK(r0[11] == "-1");
  CHECK(r0[12] == "2262-04-11T23:47:16.854775807Z");
  CHECK(r0[13] == digits66 + ".1234567890");
  CHECK(r0[14] == "0.000000000000000000000000000000000000000001");
  CHECK(r0[15] == "123e4567-e89b-12d3-a456-426614174000");
  CHECK(r0[16] == "255.255.255.255");
  CHECK(r0[17] == "[1,2.5,\"a\\n\",null,[true,{\"k\":\"v\"}]]");  // json keeps the text as sent
  CHECK(r0[18] == "0001ff5c0a0900");

  const auto& r1 = row_at(1);
  CHECK(r1[3] == "f");
  CHECK(r1[4] == "-32768");
  CHECK(r1[5] == "-2147483648");
  CHECK(r1[6] == "-9223372036854775808");
  CHECK(r1[7] == "80000000");
  CHECK(r1[8] == "8000000000000000");
  CHECK(r1[9] == "-0");
  CHECK(r1[10] == "");  // empty text is not NULL
  CHECK(r1[11] == "-62135596800000");
  CHECK(r1[12] == "1677-09-21T00:12:43.145224192Z");
  CHECK(r1[13] == "-" + digits66 + ".0000000001");
  CHECK(r1[14] == "-12345678901234567890.123456789012345678901234567890");
  CHECK(r1[15] == "00000000-0000-0000-0000-000000000000");
  CHECK(r1[16] == "0.0.0.0");
  CHECK(r1[17] == "[]");
  CHECK(r1[18] == "");  // empty bytea is not NULL

  const auto& r2 = row_at(2);
  for (int c : {3, 4, 5, 6, 12, 15}) CHECK(r2[c] == "NULL");
  CHECK(r2[7] == "00000001");
  CHECK(r2[8] == "0000000000000001");
  CHECK(r2[9] == "5e-324");
  CHECK(r2[10] == "NULL");  // the text "NULL", not a NULL: the hex of bin shows the real NULL below
  CHECK(r2[11] == "253402300799999");
  CHECK(r2[13] == "0.0000000000");
  CHECK(r2[14] == "NaN");
  CHECK(r2[16] == "10.1.2.3");
  CHECK(r2[17] == "{\"nested\":[[],{}]}");
  CHECK(sql.value("SELECT count(*) FROM roundtrip.all_types WHERE txt = 'NULL'") == "1");
  CHECK(sql.value("SELECT count(*) FROM roundtrip.all_types WHERE bin IS NULL") == "5");

  CHECK(row_at(3)[7] == "7f7fffff");
  CHECK(row_at(3)[8] == "7fefffffffffffff");
  CHECK(row_at(3)[9] == "1.7976931348623157e+308");
  CHECK(row_at(4)[7] == "7fc00000");
  CHECK(row_at(4)[8] == "7ff8000000000000");
  CHECK(row_at(5)[9] == "Infinity");
  CHECK(row_at(5)[8] == hex_bits(inf));
  CHECK(row_at(6)[9] == "-Infinity");
  CHECK(row_at(6)[8] == hex_bits(-inf));
  for (int c = 3; c <= 18; ++c)
    if (c != 7 && c != 8 && c != 9) CHECK(row_at(3)[c] == "NULL");
}

TEST_CASE("replace_range deletes only inside its range") {
  auto dest = open();
  Sql sql;
  const TableRef ref{"ranges", "t"};
  const TableInfo info = ts_v_table("t");
  REQUIRE(dest->ensure_table(ref, info).ok());
  std::vector<Row> rows;
  for (int64_t ts = 1; ts <= 10; ++ts) rows.push_back(ts_v_row(ts, ts, ts));
  REQUIRE(dest->replace_range(ref, info, closed(1, 10), rows).ok());
  CHECK(ts_v_contents(sql, "ranges.t").size() == 10);

  // [3, 6): 3, 4 rewritten, 5 gone, 6 (the exclusive end) kept.
  Status replaced = dest->replace_range(ref, info, half_open(3, 6), {ts_v_row(3, 30, 3), ts_v_row(4, 40, 4)});
  REQUIRE_MESSAGE(replaced.ok(), error_of(replaced));
  CHECK(ts_v_contents(sql, "ranges.t") ==
        std::vector<std::string>{"1:1", "2:2", "3:30", "4:40", "6:6", "7:7", "8:8", "9:9", "10:10"});

  // [7, 8] inclusive with no rows: both gone.
  REQUIRE(dest->replace_range(ref, info, closed(7, 8), {}).ok());
  CHECK(ts_v_contents(sql, "ranges.t") ==
        std::vector<std::string>{"1:1", "2:2", "3:30", "4:40", "6:6", "9:9", "10:10"});
  Result<int64_t> count = dest->count_rows(ref);
  REQUIRE(count.ok());
  CHECK(*count == 7);

  // A row outside its range is a caller bug and writes nothing.
  Status outside = dest->replace_range(ref, info, half_open(1, 2), {ts_v_row(2, 2, 2)});
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.error().kind == ErrorKind::internal);
  CHECK(*dest->count_rows(ref) == 7);
}

TEST_CASE("pages of one table from two writers take turns, so neither leaves rows the other replaced") {
  auto dest = open();
  Sql other;  // another tsyncd writing the same page range, mid-transaction
  Sql sql;
  const TableRef ref{"race", "t"};
  const TableInfo info = ts_v_table("t");
  REQUIRE(dest->ensure_table(ref, info).ok());
  REQUIRE(dest->replace_range(ref, info, closed(1, 10), {ts_v_row(1, 1, 1)}).ok());

  other.exec("BEGIN");
  other.exec("SELECT pg_advisory_xact_lock(hashtext('tsyncd.write'), hashtext('\"race\".\"t\"'))");
  other.exec("DELETE FROM race.t WHERE _tsync_ts >= 1 AND _tsync_ts <= 10");
  other.exec("INSERT INTO race.t (ts, v, _tsync_ts, _tsync_key, _tsync_dup) VALUES "
             "('1970-01-01T00:00:00.000002Z', 2, 2, 2, 0), ('1970-01-01T00:00:00.000003Z', 3, 3, 3, 0)");
  std::atomic<bool> done{false};
  Status written;
  std::thread writer([&] {
    written = dest->replace_range(ref, info, closed(1, 10), {ts_v_row(4, 4, 4)});
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(done.load());
  other.exec("COMMIT");
  writer.join();
  REQUIRE_MESSAGE(written.ok(), error_of(written));
  // The later page replaced the earlier one whole: without turns, rows 2 and 3 would stay.
  CHECK(ts_v_contents(sql, "race.t") == std::vector<std::string>{"4:4"});
}

TEST_CASE("ties and identical rows are all kept") {
  auto dest = open();
  Sql sql;
  const TableRef ref{"ties", "t"};
  const TableInfo info = ts_v_table("t");
  REQUIRE(dest->ensure_table(ref, info).ok());
  std::vector<Row> rows;
  for (int64_t dup = 0; dup < 5; ++dup) rows.push_back(ts_v_row(100, 42, 999, dup));  // identical rows
  for (int64_t key = 1; key <= 3; ++key) rows.push_back(ts_v_row(100, key, key));     // ties
  REQUIRE(dest->replace_range(ref, info, closed(100, 100), rows).ok());
  CHECK(sql.value("SELECT count(*) FROM ties.t WHERE _tsync_ts = 100") == "8");
  CHECK(sql.rows("SELECT _tsync_dup FROM ties.t WHERE _tsync_key = 999 AND v = 42 ORDER BY 1") ==
        Rows{{"0"}, {"1"}, {"2"}, {"3"}, {"4"}});
  // Re-reading the same timestamp gives the same keys: still 8 rows.
  REQUIRE(dest->replace_range(ref, info, closed(100, 100), rows).ok());
  CHECK(sql.value("SELECT count(*) FROM ties.t") == "8");
}

TEST_CASE("a failing page rolls back completely") {
  auto dest = open();
  Sql sql;
  const TableRef ref{"rollback", "t"};
  const TableInfo info = table_info("t", {col("ts", ColumnType::timestamp_us), col("v", ColumnType::int64),
                                          col("s", ColumnType::text), col("u", ColumnType::uuid)});
  REQUIRE(dest->ensure_table(ref, info).ok());
  auto make_row = [](int64_t ts, int64_t key, int64_t dup, Value s, Value u) {
    return Row{ts, {format_iso_time(ts, TimeUnit::us), ts, std::move(s), std::move(u)}, key, dup};
  };
  std::vector<Row> original;
  for (int64_t ts = 10; ts < 20; ++ts) original.push_back(make_row(ts, ts, 0, std::string("old"), Value{}));
  REQUIRE(dest->replace_range(ref, info, half_open(10, 20), original).ok());
  const Rows before = sql.rows("SELECT * FROM rollback.t ORDER BY _tsync_ts");
  REQUIRE(before.size() == 10);

  SUBCASE("a primary key conflict inside the page") {
    std::vector<Row> page = {make_row(10, 1, 0, std::string("new"), Value{}),
                             make_row(11, 1, 0, std::string("new"), Value{}),
                             make_row(11, 1, 0, std::string("new"), Value{})};
    Status failed = dest->replace_range(ref, info, half_open(10, 20), page);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().kind == ErrorKind::destination);
    CHECK(failed.error().message.find("postgres table \"rollback\".\"t\"") != std::string::npos);
    CHECK(failed.error().message.find("duplicate key") != std::string::npos);
  }
  SUBCASE("a value the server rejects") {
    std::vector<Row> page = {make_row(10, 1, 0, std::string("new"), std::string("not-a-uuid"))};
    Status failed = dest->replace_range(ref, info, half_open(10, 20), page);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().kind == ErrorKind::destination);
    CHECK(failed.error().message.find("not-a-uuid") != std::string::npos);
  }
  SUBCASE("text with a NUL byte") {
    std::vector<Row> page = {make_row(10, 1, 0, std::string("new"), Value{}),
                             make_row(12, 1, 0, std::string("a\0b", 3), Value{})};
    Status failed = dest->replace_range(ref, info, half_open(10, 20), page);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().kind == ErrorKind::destination);
    CHECK(failed.error().message.find("column \"s\"") != std::string::npos);
    CHECK(failed.error().message.find("NUL") != std::string::npos);
    CHECK(failed.error().message.find("\"rollback\".\"t\"") != std::string::npos);
  }
  CHECK(sql.rows("SELECT * FROM rollback.t ORDER BY _tsync_ts") == before);
  // The connection is still usable after the failure.
  REQUIRE(dest->replace_range(ref, info, half_open(10, 20), original).ok());
  CHECK(*dest->count_rows(ref) == 10);
}

TEST_CASE("ensure_table adds new columns and keeps the ones the source dropped") {
  auto dest = open();
  Sql sql;
  const TableRef ref{"evolve", "t"};
  TableInfo info = ts_v_table("t");
  REQUIRE(dest->ensure_table(ref, info).ok());
  REQUIRE(dest->replace_range(ref, info, closed(1, 1), {ts_v_row(1, 1, 1)}).ok());

  TableInfo wider = info;
  wider.columns.push_back(col("extra", ColumnType::text));
  wider.columns.push_back(col("price", ColumnType::decimal, 18, 4));
  Status added = dest->ensure_table(ref, wider);
  REQUIRE_MESSAGE(added.ok(), error_of(added));
  REQUIRE(dest->ensure_table(ref, wider).ok());  // idempotent
  CHECK(sql.rows("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                 "'evolve.t'::regclass AND attname IN ('extra', 'price') ORDER BY attnum") ==
        Rows{{"extra", "text"}, {"price", "numeric(18,4)"}});
  REQUIRE(dest->replace_range(ref, wider, closed(2, 2),
                              {Row{2,
                                   {format_iso_time(2, TimeUnit::us), int64_t{2}, std::string("x"),
                                    std::string("1.5000")},
                                   2,
                                   0}})
              .ok());
  CHECK(sql.rows("SELECT _tsync_ts, v, extra, price FROM evolve.t ORDER BY 1") ==
        Rows{{"1", "1", "NULL", "NULL"}, {"2", "2", "x", "1.5000"}});

  // The source drops "extra": the column and its data stay, new rows leave it NULL.
  TableInfo narrower = info;
  narrower.columns.push_back(col("price", ColumnType::decimal, 18, 4));
  REQUIRE(dest->ensure_table(ref, narrower).ok());
  REQUIRE(
      dest->replace_range(ref, narrower, closed(3, 3),
                          {Row{3, {format_iso_time(3, TimeUnit::us), int64_t{3}, std::string("2")}, 3, 0}})
          .ok());
  CHECK(sql.rows("SELECT _tsync_ts, extra, price FROM evolve.t ORDER BY 1") ==
        Rows{{"1", "NULL", "NULL"}, {"2", "x", "1.5000"}, {"3", "NULL", "2.0000"}});
}

TEST_CASE("a changed column type is an error, never an alteration") {
  auto dest = open();
  Sql sql;
  const TableRef ref{"typechange", "t"};
  const TableInfo info = ts_v_table("t");
  REQUIRE(dest->ensure_table(ref, info).ok());
  REQUIRE(dest->replace_range(ref, info, closed(1, 1), {ts_v_row(1, 5, 1)}).ok());

  TableInfo changed = info;
  changed.columns[1].type = ColumnType::float64;
  changed.columns[1].source_type = "DOUBLE";
  Status status = dest->ensure_table(ref, changed);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::destination);
  const std::string& message = status.error().message;
  CAPTURE(message);
  CHECK(message.find("\"typechange\".\"t\"") != std::string::npos);
  CHECK(message.find("\"v\"") != std::string::npos);
  CHECK(message.find("bigint") != std::string::npos);
  CHECK(message.find("double precision") != std::string::npos);
  CHECK(sql.value("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                  "'typechange.t'::regclass AND attname = 'v'") == "bigint");
  CHECK(sql.value("SELECT v FROM typechange.t") == "5");

  // A table of the same name that tsyncd did not create is not taken over.
  sql.exec("CREATE TABLE typechange.foreign_table (ts timestamptz, v bigint)");
  Status foreign = dest->ensure_table({"typechange", "foreign_table"}, ts_v_table("foreign_table"));
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().kind == ErrorKind::destination);
  CHECK(foreign.error().message.find("_tsync_ts") != std::string::npos);
}

TEST_CASE("names with spaces, quotes and unicode are kept exactly") {
  auto dest = open();
  Sql sql;
  const TableRef ref{"my \"conn\" ü", "trades 'x' \"y\" 日本"};
  const TableInfo info =
      table_info(ref.table, {col("time stamp", ColumnType::timestamp_us), col("a \"b\" c", ColumnType::int64),
                             col("ñ-ü;--", ColumnType::text), col("select", ColumnType::text)});
  Status ensured = dest->ensure_table(ref, info);
  REQUIRE_MESSAGE(ensured.ok(), error_of(ensured));
  Row row{5, {format_iso_time(5, TimeUnit::us), int64_t{1}, std::string("x"), std::string("y")}, 1, 0};
  REQUIRE(dest->replace_range(ref, info, closed(5, 5), {row}).ok());
  CHECK(*dest->count_rows(ref) == 1);
  CHECK(dest->describe(ref) == "postgres table \"my \"\"conn\"\" ü\".\"trades 'x' \"\"y\"\" 日本\"");
  CHECK(sql.rows("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname LIKE 'my %' AND c.relkind = 'r'") == Rows{{ref.connector, ref.table}});
  CHECK(sql.rows(
            "SELECT attname FROM pg_attribute WHERE attrelid = "
            "'\"my \"\"conn\"\" ü\".\"trades ''x'' \"\"y\"\" 日本\"'::regclass AND attnum > 0 AND attnum < 5 "
            "ORDER BY attnum") == Rows{{"time stamp"}, {"a \"b\" c"}, {"ñ-ü;--"}, {"select"}});
}

TEST_CASE("names PostgreSQL cannot hold are config errors") {
  auto dest = open();
  Sql sql;
  for (const char* own : {"_tsync_ts", "_tsync_key", "_tsync_dup", "_tsync_synced_at"}) {
    TableInfo info = ts_v_table("t");
    info.columns.push_back(col(own, ColumnType::int64));
    Status status = dest->ensure_table({"names", "t"}, info);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::config);
    CHECK(status.error().message.find(own) != std::string::npos);
  }
  const std::string max_name(63, 'n');
  const std::string long_name(64, 'n');
  const std::string long_unicode = [] {  // 22 three-byte characters: 66 bytes
    std::string s;
    for (int i = 0; i < 22; ++i) s += "日";
    return s;
  }();
  for (const std::string& bad : {long_name, long_unicode}) {
    Status table = dest->ensure_table({"names", bad}, ts_v_table(bad));
    REQUIRE_FALSE(table.ok());
    CHECK(table.error().kind == ErrorKind::config);
    CHECK(table.error().message.find(bad) != std::string::npos);
    CHECK(table.error().message.find("63 bytes") != std::string::npos);
    Status connector = dest->ensure_table({bad, "t"}, ts_v_table("t"));
    REQUIRE_FALSE(connector.ok());
    CHECK(connector.error().kind == ErrorKind::config);
    TableInfo info = ts_v_table("t");
    info.columns.push_back(col(bad, ColumnType::int64));
    Status column = dest->ensure_table({"names", "t"}, info);
    REQUIRE_FALSE(column.ok());
    CHECK(column.error().kind == ErrorKind::config);
    Result<int64_t> count = dest->count_rows({"names", bad});
    REQUIRE_FALSE(count.ok());
    CHECK(count.error().kind == ErrorKind::config);
  }
  Status reserved = dest->ensure_table({"pg_mine", "t"}, ts_v_table("t"));
  REQUIRE_FALSE(reserved.ok());
  CHECK(reserved.error().kind == ErrorKind::config);
  // Nothing was created by the refused calls; the 63-byte name works.
  CHECK(sql.value("SELECT count(*) FROM pg_namespace WHERE nspname IN ('names', 'pg_mine')") == "0");
  Status longest = dest->ensure_table({"names", max_name}, ts_v_table(max_name));
  REQUIRE_MESSAGE(longest.ok(), error_of(longest));
  CHECK(sql.value(
            "SELECT relname FROM pg_class WHERE relnamespace = 'names'::regnamespace AND relkind = 'r'") ==
        max_name);
}

TEST_CASE("a killed connection is reopened and the call succeeds") {
  auto dest = open(" application_name=kill_me");
  Sql sql;
  const TableRef ref{"reconnect", "t"};
  const TableInfo info = ts_v_table("t");
  REQUIRE(dest->ensure_table(ref, info).ok());
  REQUIRE(dest->replace_range(ref, info, closed(1, 1), {ts_v_row(1, 1, 1)}).ok());

  auto backend_pid = [&] {
    return sql.rows("SELECT pid FROM pg_stat_activity WHERE application_name = 'kill_me'");
  };
  const Rows before = backend_pid();
  REQUIRE(before.size() == 1);
  CHECK(sql.value("SELECT pg_terminate_backend(" + before[0][0] + ")") == "t");
  for (int i = 0; i < 100 && !backend_pid().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(backend_pid().empty());

  Status written = dest->replace_range(ref, info, closed(2, 2), {ts_v_row(2, 2, 2)});
  CHECK_MESSAGE(written.ok(), error_of(written));
  Result<int64_t> count = dest->count_rows(ref);
  REQUIRE(count.ok());
  CHECK(*count == 2);
  const Rows after = backend_pid();
  REQUIRE(after.size() == 1);
  CHECK(after[0][0] != before[0][0]);

  // Killed again, between ensure_table calls this time.
  CHECK(sql.value("SELECT pg_terminate_backend(" + after[0][0] + ")") == "t");
  for (int i = 0; i < 100 && !backend_pid().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(dest->ensure_table(ref, info).ok());
  CHECK(*dest->count_rows(ref) == 2);
}

TEST_CASE("two destinations in two threads share a connector schema") {
  REQUIRE_MESSAGE(cluster().started.ok(), cluster().start_error());
  Sql sql;
  constexpr int kPages = 20;
  constexpr int kRowsPerPage = 250;
  // A fresh schema per round: both threads race to create it and the shared table.
  for (int round = 0; round < 3; ++round) {
    const std::string connector = "threads" + std::to_string(round);
    std::latch start(2);
    std::vector<std::string> errors(2);
    auto worker = [&](int id) {
      auto fail = [&](const std::string& what, const Status& status) {
        if (!status.ok() && errors[id].empty()) errors[id] = what + ": " + status.error().message;
      };
      Result<std::unique_ptr<Destination>> opened = make_postgres_destination(options());
      start.arrive_and_wait();
      if (!opened.ok()) return fail("open", opened.error());
      Destination& dest = **opened;
      const TableRef shared{connector, "shared"};
      const TableRef own{connector, "table" + std::to_string(id)};
      fail("ensure shared", dest.ensure_table(shared, ts_v_table("shared")));
      fail("ensure own", dest.ensure_table(own, ts_v_table(own.table)));
      for (int page = 0; page < kPages; ++page) {
        std::vector<Row> rows;
        const int64_t lo = int64_t{page} * kRowsPerPage;
        for (int64_t ts = lo; ts < lo + kRowsPerPage; ++ts) rows.push_back(ts_v_row(ts, id, ts));
        fail("page", dest.replace_range(own, ts_v_table(own.table), half_open(lo, lo + kRowsPerPage), rows));
      }
    };
    std::thread a(worker, 0);
    std::thread b(worker, 1);
    a.join();
    b.join();
    CHECK_MESSAGE(errors[0].empty(), errors[0]);
    CHECK_MESSAGE(errors[1].empty(), errors[1]);
    CHECK(sql.value("SELECT count(*) FROM " + connector + ".table0 WHERE v = 0") ==
          std::to_string(kPages * kRowsPerPage));
    CHECK(sql.value("SELECT count(*) FROM " + connector + ".table1 WHERE v = 1") ==
          std::to_string(kPages * kRowsPerPage));
    CHECK(sql.value("SELECT count(*) FROM pg_class WHERE relname = 'shared' AND relnamespace = '" +
                    connector + "'::regnamespace") == "1");
  }
}

TEST_CASE("count_rows of a missing table is 0") {
  auto dest = open();
  Result<int64_t> missing = dest->count_rows({"nowhere", "nothing"});
  REQUIRE(missing.ok());
  CHECK(*missing == 0);
  CHECK(dest->describe({"c", "t"}) == "postgres table \"c\".\"t\"");
}

}  // namespace
}  // namespace tsyncd
