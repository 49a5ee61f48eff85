// The tsyncd binary against the fake QuestDB over loopback HTTP, into SQLite or (run as
// e2e_questdb_postgres) a real PostgreSQL: every guarantee of architecture section 1, checked
// value by value.
#include <doctest/doctest.h>
#include <signal.h>

#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "e2e/questdb_all_types.h"
#include "e2e/questdb_env.h"

using namespace tsyncd;
using namespace tsyncd::e2e;
using fakes::Cell;
using fakes::CellRow;

namespace {

constexpr int64_t kT0 = 1704067200000000;  // 2024-01-01T00:00:00Z in microseconds

// A table of the shape most cases need (see create_simple): inserts rows and keeps their
// expected destination form.
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
  // n rows from kT0, four to a millisecond, v cycling through 0..999 and s through 13 values.
  void add_tied_rows(int n) {
    std::vector<std::tuple<int64_t, int64_t, std::string>> rows;
    for (int i = 0; i < n; ++i) rows.emplace_back(kT0 + (i / 4) * 1000LL, i % 1000, "r" + std::to_string(i % 13));
    add_many(rows);
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
  std::vector<std::string> destination(const QuestDbEnv& env) const { return env.rows(name, {"ts", "v", "s"}); }
};

// Creates the empty table `table`: ts TIMESTAMP (designated), v LONG, s VARCHAR.
SimpleTable create_simple(fakes::FakeQuestDb& fake, const std::string& table) {
  fakes::TableSpec spec{table, {{"ts", "TIMESTAMP"}, {"v", "LONG"}, {"s", "VARCHAR"}}, "ts"};
  REQUIRE(fake.create_table(spec).ok());
  return SimpleTable{fake, table, {}};
}

}  // namespace

TEST_CASE("25,000 rows sharing one timestamp with batch_size 1000 arrive exactly") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "ties");
  std::vector<std::tuple<int64_t, int64_t, std::string>> rows;
  t.add(kT0 - 1000000, -1, "before");
  for (int i = 0; i < 25000; ++i) rows.emplace_back(kT0, i, "tie " + std::to_string(i % 7));
  t.add_many(rows);
  t.add(kT0 + 1, -2, "after");
  env.destination.require_ok(env.sync_once("ties", 1000));
  CHECK(t.destination(env) == t.rows());
  CHECK(t.destination(env).size() == 25002);
}

TEST_CASE("ties straddling every page boundary, and identical rows kept as many times as the source has them") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "groups");
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

  env.destination.require_ok(env.sync_once("groups", 10));
  CHECK(t.destination(env) == t.rows());
  CHECK(env.rows("groups", {"ts", "_tsync_dup"}) == keys);
  env.destination.require_ok(env.sync_once("groups", 10));  // a re-run re-reads the last group and must not duplicate it
  CHECK(t.destination(env) == t.rows());
  CHECK(env.rows("groups", {"ts", "_tsync_dup"}) == keys);
}

TEST_CASE("a second sync copies only new rows; a re-run creates no duplicates") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "inc");
  for (int i = 0; i < 500; ++i) t.add(kT0 + i * 1000LL, i, "first");
  env.destination.require_ok(env.sync_once("inc", 100));
  CHECK(t.destination(env) == t.rows());
  for (int i = 500; i < 650; ++i) t.add(kT0 + i * 1000LL, i, "second");
  env.fake.clear_requests();
  env.destination.require_ok(env.sync_once("inc", 100));
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
  env.destination.require_ok(env.sync_once("inc", 100));
  CHECK(t.destination(env) == t.rows());
}

TEST_CASE("rows added and deleted inside lookback are reflected; resync catches what lookback cannot") {
  QuestDbEnv env;
  env.connector_extra = R"(, "lookback": "10s")";
  SimpleTable t = create_simple(env.fake, "late");
  for (int i = 0; i < 100; ++i) t.add(kT0 + i * 1000000LL, i, "x");  // one row a second
  env.destination.require_ok(env.sync_once("late", 16));
  t.add(kT0 + 95 * 1000000LL, 1000, "late inside lookback");
  t.remove(kT0 + 97 * 1000000LL, kT0 + 98 * 1000000LL);
  t.add(kT0 + 5 * 1000000LL, 2000, "late outside lookback");
  env.destination.require_ok(env.sync_once("late", 16));
  auto dest = t.destination(env);
  auto expected = t.rows();
  std::erase(expected, SimpleTable::canonical(kT0 + 5 * 1000000LL, 2000, "late outside lookback"));
  REQUIRE(expected.size() == t.rows().size() - 1);
  CHECK(dest == expected);
  auto resync = run_tsyncd({"resync", "--config", env.config_path(), "--connector", "qdb", "--table", "late"});
  env.destination.require_ok(resync);
  CHECK(t.destination(env) == t.rows());
}

TEST_CASE("broken responses QuestDB really sends are retried, never written") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "flaky");
  for (int i = 0; i < 300; ++i) t.add(kT0 + (i / 3) * 1000LL, i, "row " + std::to_string(i));
  using fakes::Fault;
  // At most four failures in a row, so every request succeeds within its five attempts.
  env.fake.arm(Fault::broken_framing_in_header().matching("ORDER BY"));
  env.fake.arm(Fault::broken_framing_after(120).matching("ORDER BY"));
  env.fake.arm(Fault::truncate_after(200).matching("ORDER BY"));
  env.fake.arm(Fault::close_connection().matching("table_columns"));
  env.fake.arm(Fault::http_status(503).matching("count()"));
  env.destination.require_ok(env.sync_once("flaky", 50));
  CHECK(env.fake.pending_faults() == 0);
  CHECK(t.destination(env) == t.rows());
  for (int i = 300; i < 400; ++i) t.add(kT0 + (i / 3) * 1000LL, i, "row " + std::to_string(i));
  env.fake.arm(Fault::reset_connection().matching("ORDER BY"));
  env.fake.arm(Fault::http_status(500).matching("ORDER BY"));
  env.fake.arm(Fault::too_many_requests(std::chrono::seconds(1)).matching("ORDER BY"));
  env.fake.arm(Fault::close_connection().matching("ORDER BY"));
  env.destination.require_ok(env.sync_once("flaky", 50));
  CHECK(env.fake.pending_faults() == 0);  // every fault was really served
  CHECK(t.destination(env) == t.rows());
}

TEST_CASE("a request that times out is retried") {
  QuestDbEnv env;
  env.timeout = "1s";
  SimpleTable t = create_simple(env.fake, "slow");
  for (int i = 0; i < 50; ++i) t.add(kT0 + i, i, "s");
  env.fake.arm(fakes::Fault::stall(std::chrono::milliseconds(2500)).matching("ORDER BY"));
  auto r = env.sync_once("slow", 20);
  env.destination.require_ok(r);
  CHECK(t.destination(env) == t.rows());
}

TEST_CASE("wrong credentials fail fast with a message naming the connector, never the password") {
  QuestDbEnv env;
  env.fake.set_credentials("admin", "quest");
  SimpleTable t = create_simple(env.fake, "secure");
  t.add(kT0, 1, "x");
  env.configuration_extra = R"(, "username": "admin", "password": "wrong-secret-xyz")";
  env.fake.clear_requests();
  auto bad = env.sync_once("secure", 10);
  CHECK(bad.exit_code == 1);
  CHECK(env.fake.requests().size() == 1);  // fails fast: a 401 is not retried
  CHECK(bad.output.find("qdb") != std::string::npos);
  CHECK(bad.output.find("admin") != std::string::npos);
  CHECK(bad.output.find("401") != std::string::npos);
  CHECK(bad.output.find("wrong-secret-xyz") == std::string::npos);
  env.configuration_extra = R"(, "username": "admin", "password": "quest")";
  env.destination.require_ok(env.sync_once("secure", 10));
  CHECK(t.destination(env) == t.rows());
}

TEST_CASE("a column added at the source appears in the destination") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "grow");
  for (int i = 0; i < 10; ++i) t.add(kT0 + i, i, "a");
  env.destination.require_ok(env.sync_once("grow", 4));
  REQUIRE(env.fake.add_column("grow", {"extra", "DOUBLE"}).ok());
  REQUIRE(env.fake.insert("grow", {{Cell(kT0 + 100), Cell(int64_t{100}), Cell("b"), Cell(2.5)}}).ok());
  env.destination.require_ok(env.sync_once("grow", 4));
  auto rows = env.rows("grow", {"v", "extra"});
  CHECK(rows.size() == 11);
  CHECK(std::count(rows.begin(), rows.end(), cell_int(100) + "|" + cell_real(2.5)) == 1);
  CHECK(std::count(rows.begin(), rows.end(), cell_int(3) + "|" + cell_null()) == 1);
}

TEST_CASE("a table without a designated timestamp needs timestamp_column") {
  QuestDbEnv env;
  REQUIRE(env.fake.create_table({"nots", {{"k", "INT"}, {"at", "TIMESTAMP"}}, ""}).ok());
  REQUIRE(env.fake.insert("nots", {{Cell(1), Cell(kT0)}, {Cell(2), Cell(kT0 - 5)}}).ok());
  auto r = env.sync_once("nots", 10);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("timestamp_column") != std::string::npos);
  CHECK(r.output.find("nots") != std::string::npos);
  env.configuration_extra = R"(, "timestamp_column": "at")";
  env.destination.require_ok(env.sync_once("nots", 10));
  auto rows = env.rows("nots", {"k", "at"});
  CHECK(rows == std::vector<std::string>{cell_int(1) + "|" + cell_text(format_iso_time(kT0, TimeUnit::us)),
                                         cell_int(2) + "|" + cell_text(format_iso_time(kT0 - 5, TimeUnit::us))});
}

TEST_CASE("kill -9 at 20 random moments during a 200k-row sync; the end result equals the source") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "big");
  t.add_tied_rows(200000);
  const int killed_mid_sync = kill9_during_sync(
      env.destination,
      {env.write_config("big", 2000), env.dir.file("daemon.log"), env.status_port, "qdb", "big", 190000, 20261123},
      200000);
  CHECK(killed_mid_sync >= 5);  // the kills really interrupted syncs (targets near the end may finish first)
  env.destination.require_ok(env.sync_once("big", 2000));
  auto dest = t.destination(env);
  CHECK(dest.size() == 200000);
  CHECK(dest == t.rows());
}

TEST_CASE("the destination going down mid-sync (PostgreSQL crashing, SQLite locked) delays the sync, never corrupts it") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "outage");
  t.add_tied_rows(100000);
  // Slow pages (25 ms each, ~2.5 s in all) so the outage surely lands mid-sync on a fast machine.
  env.fake.arm(fakes::Fault::stall(std::chrono::milliseconds(25)).matching("ORDER BY").repeat(1000000));
  Daemon daemon(env.write_config("outage", 1000), env.dir.file("daemon.log"));
  INFO(daemon.log());
  REQUIRE(eventually([&] { return http_post(env.status_port, "/tables/qdb/outage/sync").status == 202; },
                     std::chrono::seconds(10)));
  REQUIRE(eventually([&] { return env.destination.count("qdb", "outage") >= 20000; }, std::chrono::seconds(30)));

  env.destination.take_down();
  if (env.destination.is_postgres()) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    // The failed writes are reported, and the daemon keeps running and retrying.
    CHECK(http_get(env.status_port, "/status").body.find("\"last_error\":\"") != std::string::npos);
  } else {
    // The lock really holds tsyncd's writes back (readers still get in: WAL).
    const int64_t locked_at = env.destination.count("qdb", "outage");
    std::this_thread::sleep_for(std::chrono::seconds(3));
    CHECK(env.destination.count("qdb", "outage") == locked_at);
    CHECK(locked_at < 100000);
  }
  CHECK(daemon.running());
  env.destination.bring_back();

  CHECK(eventually([&] { return t.destination(env) == t.rows(); }, std::chrono::seconds(60)));
  CHECK(t.destination(env).size() == 100000);
  CHECK(daemon.terminate(std::chrono::seconds(20)) == 0);
}

TEST_CASE("the daemon: status, health, metrics, trigger, reload and SIGTERM") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "live");
  for (int i = 0; i < 100; ++i) t.add(kT0 + i, i, "x");
  std::string config = env.write_config("live", 30);
  Daemon daemon(config, env.dir.file("daemon.log"));
  INFO(daemon.log());
  REQUIRE(eventually([&] { return t.destination(env) == t.rows(); }, std::chrono::seconds(20)));
  // PostgreSQL: the worker keeps its connection from run to run (one run a second here).
  std::vector<std::string> backends;
  auto tsyncd_backends = [&] {
    auto pids = env.destination.postgres()->tsyncd_backends();
    REQUIRE_MESSAGE(pids.ok(), (pids.ok() ? "" : pids.error().message));
    return *pids;
  };
  if (env.destination.is_postgres()) {
    CHECK(eventually([&] { return (backends = tsyncd_backends()).size() == 1; }, std::chrono::seconds(5)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    CHECK(tsyncd_backends() == backends);
  }
  auto status = http_get(env.status_port, "/status");
  CHECK(status.status == 200);
  CHECK(status.body.find("\"connector\":\"qdb\"") != std::string::npos);
  CHECK(status.body.find("\"table\":\"live\"") != std::string::npos);
  CHECK(status.body.find("\"lag_seconds\":0.000") != std::string::npos);
  CHECK(http_get(env.status_port, "/healthz").status == 200);
  auto metrics = http_get(env.status_port, "/metrics");
  CHECK(metrics.body.find("tsyncd_rows_written_total{connector=\"qdb\",table=\"live\"}") != std::string::npos);
  // New rows, then an explicit trigger.
  for (int i = 100; i < 120; ++i) t.add(kT0 + i, i, "y");
  CHECK(http_post(env.status_port, "/tables/qdb/live/sync").status == 202);
  CHECK(http_post(env.status_port, "/tables/qdb/nope/sync").status == 404);
  REQUIRE(eventually([&] { return t.destination(env) == t.rows(); }, std::chrono::seconds(10)));
  // An invalid config on SIGHUP is rejected and the old one keeps running.
  write_file(config, "{ \"connectors\": 5 }");
  daemon.signal(SIGHUP);
  REQUIRE(eventually([&] {
    return http_get(env.status_port, "/status").body.find("\"config_error\":null") == std::string::npos;
  }, std::chrono::seconds(5)));
  for (int i = 120; i < 130; ++i) t.add(kT0 + i, i, "z");
  REQUIRE(eventually([&] { return t.destination(env) == t.rows(); }, std::chrono::seconds(10)));
  if (env.destination.is_postgres()) CHECK(tsyncd_backends() == backends);
  CHECK(daemon.terminate(std::chrono::seconds(20)) == 0);
}

TEST_CASE("one process per state file: a second daemon, sync --once and state reset are refused while it runs") {
  QuestDbEnv env;
  SimpleTable t = create_simple(env.fake, "solo");
  for (int i = 0; i < 50; ++i) t.add(kT0 + i, i, "x");
  const std::string config = env.write_config("solo", 30);
  Daemon daemon(config, env.dir.file("daemon.log"));
  INFO(daemon.log());
  REQUIRE(eventually([&] { return t.destination(env) == t.rows(); }, std::chrono::seconds(20)));
  const std::string in_use = "state file " + env.dir.file("state.db") + " is in use by another tsyncd process (pid " +
                             std::to_string(daemon.pid()) + ")";
  const std::string ask = "curl -X POST -d '' http://127.0.0.1:" + std::to_string(env.status_port) + "/tables/qdb/solo/";

  auto second = run_tsyncd({"run", "--config", config}, std::chrono::seconds(20));
  CHECK(second.exit_code == 1);
  CHECK_MESSAGE(second.output.find(in_use + "; one daemon per state file") != std::string::npos, second.output);

  auto once = run_tsyncd({"sync", "--once", "--config", config, "--connector", "qdb", "--table", "solo"});
  CHECK(once.exit_code == 1);
  CHECK_MESSAGE(once.output.find(in_use + "; the running daemon can do this: " + ask + "sync") != std::string::npos,
                once.output);

  // A reset under the daemon would be undone by its next cursor commit, so it is refused whole.
  auto reset = run_tsyncd({"state", "reset", "--config", config, "--connector", "qdb", "--table", "solo"});
  CHECK(reset.exit_code == 1);
  CHECK_MESSAGE(reset.output.find(in_use + "; stop the daemon first, or ask it to re-read: " + ask + "resync") !=
                    std::string::npos,
                reset.output);
  // Reading is always allowed, and the refused reset changed nothing.
  auto show = run_tsyncd({"state", "show", "--config", config});
  CHECK(show.exit_code == 0);
  CHECK_MESSAGE(show.output.find(format_iso_time(kT0 + 49, TimeUnit::us)) != std::string::npos, show.output);
  CHECK(daemon.running());

  // The daemon's own work goes on, and once it has stopped the lock is free.
  t.add(kT0 + 50, 50, "y");
  CHECK(eventually([&] { return t.destination(env) == t.rows(); }, std::chrono::seconds(10)));
  CHECK(daemon.terminate(std::chrono::seconds(20)) == 0);
  auto after = run_tsyncd({"sync", "--once", "--config", config});
  CHECK_MESSAGE(after.exit_code == 0, after.output);
}

TEST_CASE("bad configs give clear errors naming the key") {
  TempDir dir;
  struct Case {
    std::string json;
    std::string expect;
  };
  const std::string head = R"({"connectors": [{"name": "q", "type": "questdb", "configuration": )";
  for (const Case& c : {
           Case{head + R"({"port": "9000"}}]})", "connectors[0].configuration.tables"},
           Case{head + R"({"tables": 5}}]})", "connectors[0].configuration.tables"},
           Case{head + R"({"tables": "a", "tabels": "b"}}]})", "did you mean 'tables'"},
           Case{head + R"({"tables": "a", "port": "90a"}}]})", "connectors[0].configuration.port"},
           Case{head + R"({"tables": "a", "port": 70000}}]})", "connectors[0].configuration.port"},
           Case{head + R"({"tables": " , "}}]})", "connectors[0].configuration.tables"},
           Case{R"({"connectors": [{"type": "questdb", "configuration": {"tables": "a"}}]})", "connectors[0].name"},
       }) {
    CAPTURE(c.json);
    write_file(dir.file("bad.json"), c.json);
    auto r = run_tsyncd({"check", "--config", dir.file("bad.json")});
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(c.expect) != std::string::npos);
  }
  write_file(dir.file("good.json"), head + R"({"tables": "a,b", "port": "9000", "batch_size": "1000"}}]})");
  auto ok = run_tsyncd({"check", "--config", dir.file("good.json")});
  CHECK(ok.exit_code == 0);
}

TEST_CASE("every QuestDB type, with NULLs, NaN/Infinity, extremes, unicode and far timestamps, value by value") {
  QuestDbEnv env;
  REQUIRE(env.fake.create_table(all_types_spec()).ok());
  REQUIRE(env.fake.insert("types", all_types_rows()).ok());
  env.destination.require_ok(env.sync_once("types", 3));

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
  std::vector<std::string> expected = {
      join({cell_text("1970-01-01T00:00:00.000000Z"), cell_int(1), cell_int(1), cell_int(2), cell_text("a"), cell_int(3),
            cell_int(4), cell_text("2024-01-01T01:02:03.456Z"), cell_text("2024-01-01T01:02:03.456789Z"),
            cell_text("2024-01-01T01:02:03.456789123Z"), cell_real(1.5), cell_real(2.25), cell_text("hello"),
            cell_text("world"), cell_text("sym1"),
            cell_text("0x7ee65ec7b6e3bc3a422a8855e9d7bfd29199af5c2aa91ba39c022fa261bdede7"), cell_text("u33d8b"),
            cell_text("11111111-2222-3333-4444-555555555555"), cell_text("192.168.1.10"),
            cell_blob(std::string("\x00\x01\xff", 3)), cell_text("[1.0,2.5,-3.0]"), cell_text("[[1.0,2.0],[3.0,4.0]]"),
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
            cell_text("[]"), N, cell_text("-99999999999999.9999")}),
      join({cell_text("9999-12-31T23:59:59.999999Z"), cell_int(1), cell_int(-128), cell_int(-32768), cell_text("é"),
            cell_int(-2147483647), cell_int(-9223372036854775807LL), cell_text("1900-01-01T00:00:00.001Z"),
            cell_text("1969-12-31T23:59:59.999999Z"), cell_text("1678-01-01T00:00:00.000000001Z"), N, N,
            cell_text("ünï \"cødé\" ✓ 日本語 😀 it's"),
            cell_text("line1\nline2\r\nTAB\there back\\slash </script> \x01\x1f end"), cell_text("sym with space ✓"), N,
            N, N, N, N, cell_text("[-0.0]"), N, cell_text("0.0001")}),
      // -0.0: SQLite reads it back as 0.0, PostgreSQL keeps the sign (README "Types"). An array
      // element keeps it in both: arrays are the JSON text QuestDB sent.
      zeros("9999-12-31T23:59:59.999999Z", env.destination.real_cell(-0.0), env.destination.real_cell(-0.0)),
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

TEST_CASE("array elements arrive as the exact text QuestDB sent, every double bit for bit") {
  QuestDbEnv env;
  REQUIRE(env.fake.create_table({"arrays", {{"ts", "TIMESTAMP"}, {"a", "DOUBLE[]"}, {"m", "DOUBLE[][]"}}, "ts"}).ok());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Values whose decimal text a JSON re-encoding would change (exponents, 17 significant digits,
  // subnormals): PostgreSQL's jsonb would, which is why arrays are json there.
  const std::vector<double> tricky = {1e-7,    0.1,     1.0 / 3.0, 5e-324, -2.2250738585072014e-308,
                                      1.7976931348623157e308, 123456789012345678.0, -1e22, nan, 4.35};
  fakes::DoubleArray matrix{{2, 3}, {1e300, -1e-300, 0.30000000000000004, 2.0, 1e16, nan}};
  REQUIRE(env.fake.insert("arrays", {{Cell(kT0), Cell::array(tricky), Cell::array(matrix)}}).ok());
  env.destination.require_ok(env.sync_once("arrays", 10));
  // Java's double rendering (shared/apis/questdb.md), a non-finite element as null.
  const std::string a =
      "[1.0E-7,0.1,0.3333333333333333,5.0E-324,-2.2250738585072014E-308,1.7976931348623157E308,"
      "1.2345678901234568E17,-1.0E22,null,4.35]";
  const std::string m = "[[1.0E300,-1.0E-300,0.30000000000000004],[2.0,1.0E16,null]]";
  CHECK(env.rows("arrays", {"a", "m"}) == std::vector<std::string>{cell_text(a) + "|" + cell_text(m)});
}
