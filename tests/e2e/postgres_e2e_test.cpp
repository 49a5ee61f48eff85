// The tsyncd binary against the fake QuestDB over loopback HTTP, into a real PostgreSQL server
// (tests/support/pg_server.h): the PostgreSQL twins of the SQLite end-to-end cases, read back
// value by value in the same canonical form (pg_rows.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <random>
#include <thread>
#include <tuple>

#include "e2e/pg_destination.h"
#include "e2e/questdb_all_types.h"
#include "e2e/questdb_env.h"

using namespace tsyncd;
using namespace tsyncd::e2e;
using fakes::Cell;
using fakes::CellRow;

namespace {

constexpr int64_t kT0 = 1704067200000000;  // 2024-01-01T00:00:00Z in microseconds

// The QuestDB environment with a fresh PostgreSQL database as the destination.
struct PostgresEnv : QuestDbEnv {
  PostgresEnv() {
    Result<PgDestination> created = PgDestination::create(dir);
    REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
    postgres = std::move(*created);
    destination_json = postgres->config_json();
  }

  // The table the connector "qdb" wrote, as canonical rows.
  std::vector<std::string> rows(const std::string& table, const std::vector<PgColumn>& columns) const {
    Result<std::vector<std::string>> rows = postgres->rows("qdb", table, columns);
    REQUIRE_MESSAGE(rows.ok(), (rows.ok() ? "" : rows.error().message));
    return *rows;
  }

  int64_t count(const std::string& table) const {
    Result<int64_t> count = postgres->count("qdb", table);
    return count.ok() ? *count : -1;
  }

  std::optional<PgDestination> postgres;
};

void require_ok(const PostgresEnv& env, const CommandResult& r) {
  INFO(r.output);
  CHECK(r.output.find(env.postgres->password()) == std::string::npos);
  REQUIRE(r.exit_code == 0);
}

// ts TIMESTAMP (designated), v LONG, s VARCHAR: the shape most cases need.
void create_simple(fakes::FakeQuestDb& fake, const std::string& table) {
  fakes::TableSpec spec{table, {{"ts", "TIMESTAMP"}, {"v", "LONG"}, {"s", "VARCHAR"}}, "ts"};
  REQUIRE(fake.create_table(spec).ok());
}

// Rows inserted at the source, with their expected destination form.
struct SimpleTable {
  fakes::FakeQuestDb& fake;
  std::string name;
  std::vector<std::pair<int64_t, std::string>> expected;  // (ts, canonical row)

  static std::string canonical(int64_t ts, int64_t v, const std::string& s) {
    return cell_text(format_iso_time(ts, TimeUnit::us)) + "|" + cell_int(v) + "|" + cell_text(s);
  }
  void add(int64_t ts, int64_t v, const std::string& s) { add_many({{ts, v, s}}); }
  void add_many(const std::vector<std::tuple<int64_t, int64_t, std::string>>& rows) {
    std::vector<CellRow> cells;
    for (auto& [ts, v, s] : rows) {
      cells.push_back({Cell(ts), Cell(v), Cell(s)});
      expected.push_back({ts, canonical(ts, v, s)});
    }
    REQUIRE(fake.insert(name, cells).ok());
  }
  void remove(int64_t lo, int64_t hi) {
    REQUIRE(fake.delete_range(name, lo, hi).ok());
    std::erase_if(expected, [&](const auto& e) { return e.first >= lo && e.first < hi; });
  }
  std::vector<std::string> rows() const {
    std::vector<std::string> out;
    for (auto& e : expected) out.push_back(e.second);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> destination(const PostgresEnv& env) const { return env.rows(name, {"ts", "v", "s"}); }
};

}  // namespace

TEST_CASE("postgres: 25,000 rows sharing one timestamp with batch_size 1000 arrive exactly") {
  PostgresEnv env;
  create_simple(env.fake, "ties");
  SimpleTable t{env.fake, "ties", {}};
  std::vector<std::tuple<int64_t, int64_t, std::string>> rows;
  t.add(kT0 - 1000000, -1, "before");
  for (int i = 0; i < 25000; ++i) rows.emplace_back(kT0, i, "tie " + std::to_string(i % 7));
  t.add_many(rows);
  t.add(kT0 + 1, -2, "after");
  require_ok(env, env.sync_once("ties", 1000));
  auto dest = t.destination(env);
  CHECK(dest.size() == 25002);
  CHECK(dest == t.rows());
}

TEST_CASE("postgres: ties straddling every page boundary, identical rows kept, a re-run adds no duplicates") {
  PostgresEnv env;
  create_simple(env.fake, "groups");
  SimpleTable t{env.fake, "groups", {}};
  std::vector<std::tuple<int64_t, int64_t, std::string>> rows;
  for (int g = 0; g < 400; ++g)
    for (int i = 0; i < 7; ++i) rows.emplace_back(kT0 + g * 1000000LL, g % 3, "same");  // identical within a group
  t.add_many(rows);
  // The seven identical rows of a group are told apart only by _tsync_dup 0..6.
  std::vector<std::string> keys;
  for (int g = 0; g < 400; ++g)
    for (int dup = 0; dup < 7; ++dup)
      keys.push_back(cell_text(format_iso_time(kT0 + g * 1000000LL, TimeUnit::us)) + "|" + cell_int(dup));
  std::sort(keys.begin(), keys.end());

  require_ok(env, env.sync_once("groups", 10));
  CHECK(t.destination(env) == t.rows());
  CHECK(env.rows("groups", {"ts", "_tsync_dup"}) == keys);
  require_ok(env, env.sync_once("groups", 10));  // a re-run re-reads the last group and must not duplicate it
  CHECK(t.destination(env) == t.rows());
  CHECK(env.rows("groups", {"ts", "_tsync_dup"}) == keys);
}

TEST_CASE("postgres: a second sync copies only new rows; a re-run creates no duplicates") {
  PostgresEnv env;
  create_simple(env.fake, "inc");
  SimpleTable t{env.fake, "inc", {}};
  for (int i = 0; i < 500; ++i) t.add(kT0 + i * 1000LL, i, "first");
  require_ok(env, env.sync_once("inc", 100));
  CHECK(t.destination(env) == t.rows());
  for (int i = 500; i < 650; ++i) t.add(kT0 + i * 1000LL, i, "second");
  env.fake.clear_requests();
  require_ok(env, env.sync_once("inc", 100));
  CHECK(t.destination(env) == t.rows());
  // Every page query of the second run starts at or after the last timestamp of the first.
  const std::string resume = "'" + format_iso_time(kT0 + 499 * 1000LL, TimeUnit::us) + "'";
  int page_queries = 0;
  for (const auto& r : env.fake.requests()) {
    if (r.sql.find("ORDER BY") == std::string::npos) continue;
    ++page_queries;
    auto at = r.sql.find(">= '");
    REQUIRE(at != std::string::npos);
    CHECK(r.sql.substr(at + 3, resume.size()) >= resume);
  }
  CHECK(page_queries >= 2);
  require_ok(env, env.sync_once("inc", 100));
  CHECK(t.destination(env) == t.rows());
}

TEST_CASE("postgres: rows added and deleted inside lookback are reflected; resync catches what lookback cannot") {
  PostgresEnv env;
  env.connector_extra = R"(, "lookback": "10s")";
  create_simple(env.fake, "late");
  SimpleTable t{env.fake, "late", {}};
  for (int i = 0; i < 100; ++i) t.add(kT0 + i * 1000000LL, i, "x");  // one row a second
  require_ok(env, env.sync_once("late", 16));
  CHECK(t.destination(env) == t.rows());
  t.add(kT0 + 95 * 1000000LL, 1000, "late inside lookback");
  t.remove(kT0 + 97 * 1000000LL, kT0 + 98 * 1000000LL);
  t.add(kT0 + 5 * 1000000LL, 2000, "late outside lookback");
  require_ok(env, env.sync_once("late", 16));
  auto expected = t.rows();
  std::erase(expected, SimpleTable::canonical(kT0 + 5 * 1000000LL, 2000, "late outside lookback"));
  REQUIRE(expected.size() == t.rows().size() - 1);
  CHECK(t.destination(env) == expected);
  require_ok(env, run_tsyncd({"resync", "--config", env.config_path(), "--connector", "qdb", "--table", "late"}));
  CHECK(t.destination(env) == t.rows());
}

TEST_CASE("postgres: every QuestDB type, with NULLs, NaN/Infinity, extremes, unicode and far timestamps, value by value") {
  PostgresEnv env;
  REQUIRE(env.fake.create_table(all_types_spec()).ok());
  REQUIRE(env.fake.insert("types", all_types_rows()).ok());
  require_ok(env, env.sync_once("types", 3));

  // DATE came in milliseconds: three fraction digits; the TIMESTAMP columns six.
  const std::vector<PgColumn> columns = {"ts", "b",  "by", "sh",   "ch", "i", "l",  {"d", 3}, "t",   "tn",   "f",  "db",
                                         "st", "vc", "sy", "l256", "g",  "u", "ip", "bin",    "arr", "arr2", "dec"};
  auto join = [](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "|" : "") + cells[i];
    return out;
  };
  const std::string N = cell_null();
  auto zeros = [&](const std::string& ts, const std::string& f, const std::string& db) {
    return join({cell_text(ts), cell_int(0), cell_int(0), cell_int(0), N, cell_int(0), cell_int(0), N, N, N, f, db, N,
                 N, N, N, N, N, N, N, N, N, N});
  };
  // The values of the SQLite suite, except that PostgreSQL keeps the sign of -0.0 in real and
  // double precision columns. Arrays are json, which keeps the text QuestDB sent.
  auto json_cell = cell_text;
  std::vector<std::string> expected = {
      join({cell_text("1970-01-01T00:00:00.000000Z"), cell_int(1), cell_int(1), cell_int(2), cell_text("a"), cell_int(3),
            cell_int(4), cell_text("2024-01-01T01:02:03.456Z"), cell_text("2024-01-01T01:02:03.456789Z"),
            cell_text("2024-01-01T01:02:03.456789123Z"), cell_real(1.5), cell_real(2.25), cell_text("hello"),
            cell_text("world"), cell_text("sym1"),
            cell_text("0x7ee65ec7b6e3bc3a422a8855e9d7bfd29199af5c2aa91ba39c022fa261bdede7"), cell_text("u33d8b"),
            cell_text("11111111-2222-3333-4444-555555555555"), cell_text("192.168.1.10"),
            cell_blob(std::string("\x00\x01\xff", 3)), json_cell("[1.0,2.5,-3.0]"), json_cell("[[1.0,2.0],[3.0,4.0]]"),
            cell_text("12345678901234.5678")}),
      // BOOLEAN, BYTE and SHORT have no NULL in QuestDB: they read back false/0.
      join({cell_text("1970-01-01T00:00:00.000001Z"), cell_int(0), cell_int(0), cell_int(0), N, N, N, N, N, N, N, N, N,
            N, N, N, N, N, N, N, N, N, N}),
      join({cell_text("2100-06-15T12:00:00.000000Z"), cell_int(0), cell_int(127), cell_int(32767), cell_text("Z"),
            cell_int(2147483647), cell_int(std::numeric_limits<int64_t>::max()), cell_text("1969-12-31T23:59:59.999Z"),
            cell_text("0001-01-01T00:00:00.000000Z"), cell_text("2262-04-11T23:47:16.854775807Z"),
            cell_real(static_cast<double>(3.4028235e38f)), cell_real(1.7976931348623157e308), cell_text(""),
            cell_text(""), cell_text(""), cell_text("0x00"), cell_text("zzzzzz"),
            cell_text("00000000-0000-0000-0000-000000000000"), cell_text("255.255.255.255"), cell_blob(""),
            json_cell("[]"), N, cell_text("-99999999999999.9999")}),
      join({cell_text("9999-12-31T23:59:59.999999Z"), cell_int(1), cell_int(-128), cell_int(-32768), cell_text("é"),
            cell_int(-2147483647), cell_int(-9223372036854775807LL), cell_text("1900-01-01T00:00:00.001Z"),
            cell_text("1969-12-31T23:59:59.999999Z"), cell_text("1678-01-01T00:00:00.000000001Z"), N, N,
            cell_text("ünï \"cødé\" ✓ 日本語 😀 it's"),
            cell_text("line1\nline2\r\nTAB\there back\\slash </script> \x01\x1f end"), cell_text("sym with space ✓"), N,
            // An array element keeps the sign of -0.0 like every other double (json, not jsonb).
            N, N, N, N, json_cell("[-0.0]"), N, cell_text("0.0001")}),
      zeros("9999-12-31T23:59:59.999999Z", cell_real(-0.0), cell_real(-0.0)),
      zeros("9999-12-31T23:59:59.999999Z", N, cell_real(5e-324)),
      zeros("9999-12-31T23:59:59.999999Z", N, N),
  };
  std::sort(expected.begin(), expected.end());
  auto actual = env.rows("types", columns);
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(actual[i] == expected[i]);
  }
}

TEST_CASE("postgres: array elements keep every double bit for bit through json") {
  PostgresEnv env;
  REQUIRE(env.fake.create_table({"arrays", {{"ts", "TIMESTAMP"}, {"a", "DOUBLE[]"}, {"m", "DOUBLE[][]"}}, "ts"}).ok());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Values whose decimal text jsonb rewrites (exponents, 17 significant digits, subnormals).
  const std::vector<double> tricky = {1e-7,    0.1,     1.0 / 3.0, 5e-324, -2.2250738585072014e-308,
                                      1.7976931348623157e308, 123456789012345678.0, -1e22, nan, 4.35};
  fakes::DoubleArray matrix{{2, 3}, {1e300, -1e-300, 0.30000000000000004, 2.0, 1e16, nan}};
  REQUIRE(env.fake.insert("arrays", {{Cell(kT0), Cell::array(tricky), Cell::array(matrix)}}).ok());
  require_ok(env, env.sync_once("arrays", 10));
  // The json column holds QuestDB's text exactly: Java's double rendering (shared/apis/questdb.md),
  // a non-finite element as null.
  const std::string a =
      "[1.0E-7,0.1,0.3333333333333333,5.0E-324,-2.2250738585072014E-308,1.7976931348623157E308,"
      "1.2345678901234568E17,-1.0E22,null,4.35]";
  const std::string m = "[[1.0E300,-1.0E-300,0.30000000000000004],[2.0,1.0E16,null]]";
  auto rows = env.rows("arrays", {"a", "m"});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == cell_text(a) + "|" + cell_text(m));
}

TEST_CASE("postgres: kill -9 at 20 random moments during a 200k-row sync; the end result equals the source") {
  PostgresEnv env;
  create_simple(env.fake, "big");
  SimpleTable t{env.fake, "big", {}};
  std::vector<std::tuple<int64_t, int64_t, std::string>> rows;
  for (int i = 0; i < 200000; ++i) rows.emplace_back(kT0 + (i / 4) * 1000LL, i % 1000, "r" + std::to_string(i % 13));
  t.add_many(rows);
  std::string config = env.write_config("big", 2000);
  // Each round triggers a sync (rather than wait 0.5-1.5 s for the first scheduled run), lets it
  // write past a random row count, then kills it 0-50 ms later, in the middle of some page (one
  // takes tens of ms). The counts rise over the 20 rounds, so every kill lands inside the sync on
  // a fast machine or a loaded one alike.
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int64_t> progress(1000, 190000);
  std::vector<int64_t> kill_after_rows(20);
  for (int64_t& rows_written : kill_after_rows) rows_written = progress(rng);
  std::sort(kill_after_rows.begin(), kill_after_rows.end());
  std::uniform_int_distribution<int> delay_ms(0, 50);
  for (int64_t rows_written : kill_after_rows) {
    CAPTURE(rows_written);
    Daemon daemon(config, env.dir.file("daemon.log"));
    INFO(daemon.log());
    REQUIRE(eventually([&] { return http_post(env.status_port, "/tables/qdb/big/sync").status == 202; },
                       std::chrono::seconds(10)));
    REQUIRE(eventually([&] { return env.count("big") >= rows_written; }, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    daemon.kill9();
  }
  require_ok(env, env.sync_once("big", 2000));
  auto dest = t.destination(env);
  CHECK(dest.size() == 200000);
  CHECK(dest == t.rows());
}
