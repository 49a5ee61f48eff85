// The tsyncd binary against the fake Druid over loopback HTTP, into SQLite or (run as
// e2e_druid_postgres) a real PostgreSQL: the guarantees of architecture section 1 for Druid
// datasources (shared/apis/druid.md 9), checked value by value.
//
// Expected rows come from two places: literal values where a case is about rendering (the types
// case), and otherwise the fake's own storage (FakeDruid::rows) encoded the way README "Types"
// says, so that compaction, deletes and late rows are compared against what Druid really holds.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "e2e/druid_env.h"
#include "e2e/questdb_env.h"

using namespace tsyncd;
using namespace tsyncd::e2e;
using fakes::DruidColumn;
using fakes::DruidFault;
using fakes::DruidRow;
using fakes::FaultSpec;

namespace {

constexpr int64_t kT0 = 1704067200000;  // 2024-01-01T00:00:00Z in milliseconds
constexpr int64_t kSecond = 1000;
// Matches page queries only (INFORMATION_SCHEMA queries have an ORDER BY too).
const std::string kPageQuery = "ORDER BY \"__time\"";

Value text(std::string s) { return Value(std::move(s)); }
Value integer(int64_t v) { return Value(v); }
Value real(double v) { return Value(v); }
Value null() { return Value(); }

// A source value in the destination's canonical cell form (README "Types": BIGINT -> integer,
// FLOAT -> the float32's exact value, DOUBLE bit for bit, everything else the text Druid sent).
std::string encode(const DruidEnv& env, const DruidColumn& column, const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return cell_null();
  if (column.native_type == "LONG") return cell_int(std::get<int64_t>(v));
  if (column.native_type == "DOUBLE") return env.destination.real_cell(std::get<double>(v));
  if (column.native_type == "FLOAT")
    return env.destination.real_cell(static_cast<double>(static_cast<float>(std::get<double>(v))));
  return cell_text(std::get<std::string>(v));
}

std::vector<std::string> column_names(const fakes::FakeDruid& fake, const std::string& datasource) {
  std::vector<std::string> names;
  for (const DruidColumn& c : fake.columns(datasource)) names.push_back(c.name);
  return names;
}

// What the destination must hold for a datasource: every row Druid holds now, sorted.
std::vector<std::string> source_rows(const DruidEnv& env, const std::string& datasource) {
  const std::vector<DruidColumn> columns = env.fake.columns(datasource);  // __time first
  std::vector<std::string> out;
  for (const DruidRow& r : env.fake.rows(datasource)) {
    std::string row = cell_text(format_iso_time(r.time, TimeUnit::ms));
    for (size_t i = 1; i < columns.size(); ++i)
      row += "|" + (i - 1 < r.values.size() ? encode(env, columns[i], r.values[i - 1]) : cell_null());
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> destination_rows(const DruidEnv& env, const std::string& datasource) {
  return env.rows(datasource, column_names(env.fake, datasource));
}

// s VARCHAR, v BIGINT: the shape most cases need.
void create_simple(fakes::FakeDruid& fake, const std::string& datasource) {
  fake.create_datasource(datasource, {DruidColumn::varchar("s"), DruidColumn::bigint("v")});
}

DruidRow simple(int64_t time, const std::string& s, int64_t v) { return {time, {text(s), integer(v)}}; }

// A simple datasource of 100 rows, one a second from kT0: ("x", 0), ("x", 1), ...
void create_one_row_a_second(fakes::FakeDruid& fake, const std::string& datasource) {
  create_simple(fake, datasource);
  std::vector<DruidRow> rows;
  for (int i = 0; i < 100; ++i) rows.push_back(simple(kT0 + i * kSecond, "x", i));
  fake.append(datasource, rows);
}

// Datasource "slow": 50 rows, and the first page query is answered only after `delay_ms`.
void create_slow(fakes::FakeDruid& fake, int delay_ms) {
  create_simple(fake, "slow");
  std::vector<DruidRow> rows;
  for (int i = 0; i < 50; ++i) rows.push_back(simple(kT0 + i, "s", i));
  fake.append("slow", rows);
  FaultSpec delay(DruidFault::delay, 1, kPageQuery);
  delay.delay_ms = delay_ms;
  fake.arm(delay);
}

bool any_query(const fakes::FakeDruid& fake, const std::string& needle) {
  for (const auto& r : fake.requests())
    if (r.query.find(needle) != std::string::npos) return true;
  return false;
}

// The request log in short (status and SQL), for failure messages.
std::string request_log(const fakes::FakeDruid& fake) {
  std::string out;
  for (const auto& r : fake.requests()) out += std::to_string(r.status) + " " + r.query.substr(0, 160) + "\n";
  return out;
}

}  // namespace

TEST_CASE("25,000 rows on one millisecond with page size 1000, in Druid's random tie order, arrive exactly") {
  DruidEnv env;
  create_simple(env.fake, "ties");
  std::vector<DruidRow> rows;
  for (int i = 0; i < 60; ++i) rows.push_back(simple(kT0 - 100 + i / 3, "before", i));  // small ties before
  for (int i = 0; i < 25000; ++i) rows.push_back(simple(kT0, "tie " + std::to_string(i % 7), i));
  for (int i = 0; i < 10; ++i) rows.push_back(simple(kT0, "identical", -1));
  for (int i = 0; i < 60; ++i) rows.push_back(simple(kT0 + 1 + i / 4, "after", i));
  env.fake.append("ties", rows);
  env.destination.require_ok(env.sync_once("ties", 1000));
  auto dest = destination_rows(env, "ties");
  CHECK(dest.size() == 25130);
  CHECK(dest == source_rows(env, "ties"));
  // The tie group was read by itself, and no page ever relied on an order inside a tie.
  CHECK(any_query(env.fake, "\"__time\" = MILLIS_TO_TIMESTAMP(?)"));
  CHECK_FALSE(any_query(env.fake, "OFFSET"));
  // A second run re-reads the lookback window (1d by default) and changes nothing.
  env.destination.require_ok(env.sync_once("ties", 1000));
  CHECK(destination_rows(env, "ties") == source_rows(env, "ties"));
}

TEST_CASE("identical rows are kept as many times as Druid returns them, across page boundaries and re-runs") {
  DruidEnv env;
  create_simple(env.fake, "dups");
  std::vector<DruidRow> rows;
  for (int g = 0; g < 300; ++g)
    for (int i = 0; i < 7; ++i) rows.push_back(simple(kT0 + g * kSecond, "same", g % 3));
  env.fake.append("dups", rows);
  env.destination.require_ok(env.sync_once("dups", 10));
  auto dest = destination_rows(env, "dups");
  CHECK(dest.size() == 2100);
  CHECK(std::count(dest.begin(), dest.end(), cell_text("2024-01-01T00:00:00.000Z") + "|" + cell_text("same") + "|" +
                                                 cell_int(0)) == 7);
  CHECK(dest == source_rows(env, "dups"));
  env.destination.require_ok(env.sync_once("dups", 10));
  CHECK(destination_rows(env, "dups") == source_rows(env, "dups"));
  // Three more identical copies of an existing row, inside lookback: exactly ten now.
  env.fake.append("dups", {simple(kT0, "same", 0), simple(kT0, "same", 0), simple(kT0, "same", 0)});
  env.destination.require_ok(env.sync_once("dups", 10));
  dest = destination_rows(env, "dups");
  CHECK(std::count(dest.begin(), dest.end(), cell_text("2024-01-01T00:00:00.000Z") + "|" + cell_text("same") + "|" +
                                                 cell_int(0)) == 10);
  CHECK(dest == source_rows(env, "dups"));
}

TEST_CASE("rows before 1970 (negative milliseconds) and after 2100 arrive with their exact __time") {
  DruidEnv env;
  env.connector_extra = R"(, "lookback": "0s")";
  create_simple(env.fake, "far");
  const std::vector<std::pair<int64_t, std::string>> times = {
      {-62135596800000, "0001-01-01T00:00:00.000Z"}, {-2208988800000, "1900-01-01T00:00:00.000Z"},
      {-86400001, "1969-12-30T23:59:59.999Z"},       {-1, "1969-12-31T23:59:59.999Z"},
      {0, "1970-01-01T00:00:00.000Z"},               {1, "1970-01-01T00:00:00.001Z"},
      {4102444800000, "2100-01-01T00:00:00.000Z"},   {4102444800123, "2100-01-01T00:00:00.123Z"},
      {253402300799999, "9999-12-31T23:59:59.999Z"}};
  std::vector<DruidRow> rows;
  std::vector<std::string> expected;
  for (size_t i = 0; i < times.size(); ++i)
    for (int copy = 0; copy < 2; ++copy) {  // two rows per time: every page boundary splits a tie
      rows.push_back(simple(times[i].first, "r" + std::to_string(i), copy));
      expected.push_back(cell_text(times[i].second) + "|" + cell_text("r" + std::to_string(i)) + "|" + cell_int(copy));
    }
  env.fake.append("far", rows);
  env.destination.require_ok(env.sync_once("far", 3));
  std::sort(expected.begin(), expected.end());
  CHECK(destination_rows(env, "far") == expected);
  CHECK(destination_rows(env, "far") == source_rows(env, "far"));
}

TEST_CASE("every Druid type, with NULLs, empty strings, extremes, NaN/Infinity and unicode, value by value") {
  DruidEnv env;
  env.fake.create_datasource(
      "types", {DruidColumn::varchar("s"), DruidColumn::varchar("mv"), DruidColumn::bigint("l"),
                DruidColumn::float32("f"), DruidColumn::float64("d"), DruidColumn::array("arr", "STRING"),
                DruidColumn::array("arrl", "LONG"), DruidColumn::json("j"), DruidColumn::complex("hll", "COMPLEX<HLLSketch>")});
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int64_t lmin = std::numeric_limits<int64_t>::min(), lmax = std::numeric_limits<int64_t>::max();
  const std::string wild = "ünï \"cødé\" ✓ 日本語 😀 it's\nline2\r\n\ttab \\ back / </script> \x01\x1f end";
  std::vector<DruidRow> rows = {
      {kT0, {text("hello"), text("single"), integer(42), real(0.1), real(0.1), text(R"(["a",null,"b"])"),
             text("[1,-2,9223372036854775807]"), text(R"({"a":1,"b":[true,null],"c":"x\"y"})"),
             text(R"("AQAAAQAAAAE=")")}},
      {kT0 + 1, {null(), null(), null(), null(), null(), null(), null(), null(), null()}},
      {kT0 + 2, {text(""), text(R"(["x","y"])"), integer(lmax), real(3.4028234663852886e38), real(1.7976931348623157e308),
                 text("[]"), text("[]"), text("{}"), text(R"("")")}},
      {kT0 + 3, {text(wild), text(R"(["",null,"ü"])"), integer(lmin), real(nan), real(nan),
                 text(R"(["ünï","\"q\"","line\n"])"), text("[null]"), text(R"("just a string")"), null()}},
      {kT0 + 4, {text(" "), text("[]"), integer(0), real(inf), real(-inf), null(), null(), text("[1,2.5,\"z\"]"), null()}},
      {kT0 + 5, {text("null"), null(), integer(-1), real(-inf), real(inf), null(), null(), text("null"), null()}},
      {kT0 + 6, {null(), null(), null(), real(-0.0), real(5e-324), null(), null(), null(), null()}},
      {kT0 + 7, {null(), null(), null(), real(1.401298464324817e-45), real(-0.0), null(), null(), null(), null()}},
      {kT0 + 7, {null(), null(), null(), real(16777217.0), real(0.30000000000000004), null(), null(), null(), null()}},
  };
  env.fake.append("types", rows);
  env.destination.require_ok(env.sync_once("types", 2));

  auto join = [](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "|" : "") + cells[i];
    return out;
  };
  const std::string N = cell_null();
  auto t = cell_text;
  auto float_cell = [&](double d) { return env.destination.real_cell(d); };
  std::vector<std::string> expected = {
      join({t("2024-01-01T00:00:00.000Z"), t("hello"), t("single"), cell_int(42),
            cell_real(static_cast<double>(0.1f)), cell_real(0.1), t(R"(["a",null,"b"])"),
            t("[1,-2,9223372036854775807]"), t(R"({"a":1,"b":[true,null],"c":"x\"y"})"), t(R"("AQAAAQAAAAE=")")}),
      join({t("2024-01-01T00:00:00.001Z"), N, N, N, N, N, N, N, N, N}),
      join({t("2024-01-01T00:00:00.002Z"), t(""), t(R"(["x","y"])"), cell_int(lmax),
            cell_real(static_cast<double>(std::numeric_limits<float>::max())), cell_real(1.7976931348623157e308),
            t("[]"), t("[]"), t("{}"), t(R"("")")}),
      join({t("2024-01-01T00:00:00.003Z"), t(wild), t(R"(["",null,"ü"])"), cell_int(lmin), float_cell(nan),
            float_cell(nan), t(R"(["ünï","\"q\"","line\n"])"), t("[null]"), t(R"("just a string")"), N}),
      join({t("2024-01-01T00:00:00.004Z"), t(" "), t("[]"), cell_int(0), cell_real(inf), cell_real(-inf), N, N,
            t("[1,2.5,\"z\"]"), N}),
      join({t("2024-01-01T00:00:00.005Z"), t("null"), N, cell_int(-1), cell_real(-inf), cell_real(inf), N, N,
            t("null"), N}),
      // -0.0: SQLite reads it back as 0.0, PostgreSQL keeps the sign (README "Types").
      join({t("2024-01-01T00:00:00.006Z"), N, N, N, float_cell(-0.0), cell_real(5e-324), N, N, N, N}),
      join({t("2024-01-01T00:00:00.007Z"), N, N, N, cell_real(static_cast<double>(1.401298464324817e-45f)),
            float_cell(-0.0), N, N, N, N}),
      // A FLOAT holds float32: 16777217 is not representable and Druid sends 1.6777216E7.
      join({t("2024-01-01T00:00:00.007Z"), N, N, N, cell_real(16777216.0), cell_real(0.30000000000000004), N, N, N,
            N}),
  };
  std::sort(expected.begin(), expected.end());
  auto actual = destination_rows(env, "types");
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(actual[i] == expected[i]);
  }
  CHECK(actual == source_rows(env, "types"));
}

TEST_CASE("late rows appear: inside lookback by the re-read, older ones through Druid's segment listing") {
  DruidEnv env;
  env.connector_extra = R"(, "lookback": "10s")";
  create_one_row_a_second(env.fake, "late");
  env.destination.require_ok(env.sync_once("late", 16));
  CHECK(destination_rows(env, "late") == source_rows(env, "late"));

  // A late append adds a partition to the day's segments, which the next sync notices.
  env.fake.append("late", {simple(kT0 + 95 * kSecond, "late inside lookback", 1000),
                           simple(kT0 + 99 * kSecond, "late at the cursor", 1001),
                           simple(kT0 + 5 * kSecond, "late outside lookback", 2000)});
  env.destination.require_ok(env.sync_once("late", 16));
  CHECK(destination_rows(env, "late") == source_rows(env, "late"));
  CHECK(destination_rows(env, "late").size() == 103);
}

TEST_CASE("without the segment listing, rows late beyond lookback wait for tsyncd resync") {
  DruidEnv env;
  env.connector_extra = R"(, "lookback": "10s")";
  create_one_row_a_second(env.fake, "late");
  env.destination.require_ok(env.sync_once("late", 16));

  env.fake.arm(FaultSpec(DruidFault::uncategorized_500, 1000, "sys.segments"));
  const DruidRow outside = simple(kT0 + 5 * kSecond, "late outside lookback", 2000);
  env.fake.append("late", {simple(kT0 + 95 * kSecond, "late inside lookback", 1000), outside});
  auto result = env.sync_once("late", 16);
  env.destination.require_ok(result);
  CHECK_MESSAGE(result.output.find("could not list the source's chunks, so only the lookback window is re-read") !=
                    std::string::npos,
                result.output);
  auto expected = source_rows(env, "late");
  const std::string outside_row =
      cell_text(format_iso_time(outside.time, TimeUnit::ms)) + "|" + cell_text("late outside lookback") + "|" + cell_int(2000);
  REQUIRE(std::count(expected.begin(), expected.end(), outside_row) == 1);
  std::erase(expected, outside_row);
  CHECK(destination_rows(env, "late") == expected);

  env.destination.require_ok(run_tsyncd({"resync", "--config", env.config_path(), "--connector", "drd", "--table", "late"}));
  CHECK(destination_rows(env, "late") == source_rows(env, "late"));
  CHECK(destination_rows(env, "late").size() == 102);
}

TEST_CASE("compaction, re-ingestion and a dropped day far behind the cursor are reflected without a resync") {
  DruidEnv env;
  env.connector_extra = R"(, "lookback": "1h")";
  env.fake.create_datasource("hist", {DruidColumn::varchar("host"), DruidColumn::bigint("cnt")});
  constexpr int64_t kDay = 86400 * kSecond;
  std::vector<DruidRow> rows;
  for (int day = 0; day < 4; ++day)
    for (int s = 0; s < 30; ++s) {
      rows.push_back({kT0 + day * kDay + s * kSecond, {text("a"), integer(1)}});
      rows.push_back({kT0 + day * kDay + s * kSecond, {text("a"), integer(2)}});
    }
  env.fake.append("hist", rows);
  env.destination.require_ok(env.sync_once("hist", 25));
  REQUIRE(destination_rows(env, "hist") == source_rows(env, "hist"));

  // Days 0 to 2 lie days behind the cursor (day 3), far outside the 1h lookback.
  REQUIRE(env.fake.compact("hist", kT0, kT0 + kDay, {"cnt"}) == 30);
  env.fake.replace_interval("hist", kT0 + kDay, kT0 + 2 * kDay, {{kT0 + kDay + 7 * kSecond, {text("re"), integer(9)}}});
  REQUIRE(env.fake.delete_rows("hist", kT0 + 2 * kDay, kT0 + 3 * kDay) == 60);
  auto result = env.sync_once("hist", 25);
  env.destination.require_ok(result);
  auto dest = destination_rows(env, "hist");
  CHECK(dest == source_rows(env, "hist"));
  CHECK(dest.size() == 30 + 1 + 60);
  CHECK(std::count(dest.begin(), dest.end(), cell_text("2024-01-01T00:00:29.000Z") + "|" + cell_text("a") + "|" +
                                                 cell_int(3)) == 1);
  CHECK_MESSAGE(result.output.find("the source rewrote data behind the lookback window") != std::string::npos,
                result.output);
  // Nothing changed since: the next sync reads only its window.
  env.fake.clear_requests();
  env.destination.require_ok(env.sync_once("hist", 25));
  for (const auto& r : env.fake.requests()) CHECK(r.body.find(std::to_string(kT0)) == std::string::npos);
}

TEST_CASE("a dropped interval and a compaction inside lookback are reflected exactly") {
  DruidEnv env;
  env.connector_extra = R"(, "lookback": "1h")";
  env.fake.create_datasource("agg", {DruidColumn::varchar("host"), DruidColumn::bigint("cnt"),
                                     DruidColumn::float64("lat")});
  std::vector<DruidRow> rows;
  for (int s = 0; s < 100; ++s) {
    const int64_t t = kT0 + s * kSecond;
    rows.push_back({t, {text("a"), integer(1), real(0.5)}});
    rows.push_back({t, {text("a"), integer(2), real(0.25)}});
    rows.push_back({t, {text("b"), integer(5), real(1.0)}});
  }
  env.fake.append("agg", rows);
  env.destination.require_ok(env.sync_once("agg", 50));
  CHECK(destination_rows(env, "agg").size() == 300);
  CHECK(destination_rows(env, "agg") == source_rows(env, "agg"));

  // A dropped time chunk in the middle of the window.
  REQUIRE(env.fake.delete_rows("agg", kT0 + 40 * kSecond, kT0 + 50 * kSecond) == 30);
  env.destination.require_ok(env.sync_once("agg", 50));
  CHECK(destination_rows(env, "agg").size() == 270);
  CHECK(destination_rows(env, "agg") == source_rows(env, "agg"));

  // Compaction with rollup merges the two "a" rows of every second in [60s, 100s).
  REQUIRE(env.fake.compact("agg", kT0 + 60 * kSecond, kT0 + 100 * kSecond, {"cnt", "lat"}) == 40);
  env.destination.require_ok(env.sync_once("agg", 50));
  auto dest = destination_rows(env, "agg");
  CHECK(dest.size() == 230);
  CHECK(dest == source_rows(env, "agg"));
  CHECK(std::count(dest.begin(), dest.end(), cell_text("2024-01-01T00:01:39.000Z") + "|" + cell_text("a") + "|" +
                                                 cell_int(3) + "|" + cell_real(0.75)) == 1);

  // Re-ingestion of a chunk with different rows.
  env.fake.replace_interval("agg", kT0 + 10 * kSecond, kT0 + 20 * kSecond,
                            {{kT0 + 12 * kSecond, {text("c"), integer(9), real(9.5)}}});
  env.destination.require_ok(env.sync_once("agg", 50));
  CHECK(destination_rows(env, "agg").size() == 201);
  CHECK(destination_rows(env, "agg") == source_rows(env, "agg"));
}

TEST_CASE("rows dropped at the end of a datasource (its max __time moves back) disappear too") {
  DruidEnv env;
  env.connector_extra = R"(, "lookback": "1h")";
  create_one_row_a_second(env.fake, "tail");
  env.destination.require_ok(env.sync_once("tail", 30));
  REQUIRE(env.fake.delete_rows("tail", kT0 + 90 * kSecond, kT0 + 100 * kSecond) == 10);
  env.destination.require_ok(env.sync_once("tail", 30));
  CHECK(destination_rows(env, "tail").size() == 90);
  CHECK(destination_rows(env, "tail") == source_rows(env, "tail"));
}

TEST_CASE("broken answers are retried and never written: truncated, unterminated, 500, 429, 504, closed") {
  DruidEnv env;
  create_simple(env.fake, "flaky");
  std::vector<DruidRow> rows;
  for (int i = 0; i < 300; ++i) rows.push_back(simple(kT0 + (i / 3), "row " + std::to_string(i), i));
  env.fake.append("flaky", rows);
  // At most four failures per request, so every request succeeds within its five attempts.
  env.fake.arm(FaultSpec::truncate_after(20, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::missing_terminator, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::runtime_failure_500, 1, kPageQuery));
  env.fake.arm(FaultSpec::truncate_after(0, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::close_connection, 1, "INFORMATION_SCHEMA"));
  env.fake.arm(FaultSpec(DruidFault::timeout_504, 2, "LIMIT 0"));
  FaultSpec capacity(DruidFault::capacity_429, 1, "MIN(");
  capacity.retry_after_s = 1;
  env.fake.arm(capacity);
  auto first = env.sync_once("flaky", 50);
  INFO(request_log(env.fake));
  env.destination.require_ok(first);
  CHECK(env.fake.armed_faults() == 0);
  CHECK(destination_rows(env, "flaky") == source_rows(env, "flaky"));

  rows.clear();
  for (int i = 300; i < 450; ++i) rows.push_back(simple(kT0 + (i / 3), "row " + std::to_string(i), i));
  env.fake.append("flaky", rows);
  env.fake.arm(FaultSpec(DruidFault::close_connection, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::timeout_504, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::capacity_429, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::uncategorized_500, 1, kPageQuery));
  env.destination.require_ok(env.sync_once("flaky", 50));
  CHECK(env.fake.armed_faults() == 0);
  CHECK(destination_rows(env, "flaky") == source_rows(env, "flaky"));

  env.fake.append("flaky", {simple(kT0 + 150, "row 450", 450)});
  env.fake.arm(FaultSpec(DruidFault::bad_gateway_502, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::unavailable_503, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::missing_segments, 1, kPageQuery));
  env.fake.arm(FaultSpec(DruidFault::missing_terminator, 1, kPageQuery));
  env.destination.require_ok(env.sync_once("flaky", 50));
  CHECK(env.fake.armed_faults() == 0);
  CHECK(destination_rows(env, "flaky").size() == 451);
  CHECK(destination_rows(env, "flaky") == source_rows(env, "flaky"));
}

TEST_CASE("a page that keeps failing fails the sync and writes nothing of it") {
  DruidEnv env;
  create_simple(env.fake, "broken");
  std::vector<DruidRow> rows;
  for (int i = 0; i < 100; ++i) rows.push_back(simple(kT0 + i, "r", i));
  env.fake.append("broken", rows);
  env.fake.arm(FaultSpec::truncate_after(10, 100, kPageQuery));
  auto r = env.sync_once("broken", 1000);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("broken") != std::string::npos);
  CHECK(destination_rows(env, "broken").empty());
  env.fake.clear_faults();
  env.destination.require_ok(env.sync_once("broken", 1000));
  CHECK(destination_rows(env, "broken") == source_rows(env, "broken"));
}

TEST_CASE("a request that times out is retried") {
  DruidEnv env;
  env.timeout = "1s";
  create_slow(env.fake, 2500);
  auto r = env.sync_once("slow", 20);
  env.destination.require_ok(r);
  CHECK(env.fake.armed_faults() == 0);
  CHECK(destination_rows(env, "slow") == source_rows(env, "slow"));
}

TEST_CASE("SIGTERM during a slow Druid query cancels it in Druid and the daemon exits at once") {
  DruidEnv env;
  env.timeout = "60s";
  create_slow(env.fake, 45000);  // longer than the daemon's 30 s shutdown bound
  Daemon daemon(env.write_config("slow", 20), env.dir.file("daemon.log"));
  INFO(daemon.log());
  REQUIRE(eventually([&] { return http_post(env.status_port, "/tables/drd/slow/sync").status == 202; },
                     std::chrono::seconds(10)));
  // The page query is being answered (slowly) now.
  REQUIRE(eventually([&] { return env.fake.armed_faults() == 0 && env.fake.queries_running() == 1; },
                     std::chrono::seconds(20)));

  const auto signalled = std::chrono::steady_clock::now();
  CHECK(daemon.terminate(std::chrono::seconds(40)) == 0);
  CHECK(std::chrono::steady_clock::now() - signalled < std::chrono::seconds(10));
  // Druid was told: DELETE /druid/v2/sql/<the query's sqlQueryId>, answered 202.
  int cancels = 0;
  for (const auto& r : env.fake.requests())
    cancels += r.method == "DELETE" && r.target.rfind("/druid/v2/sql/tsyncd-", 0) == 0 && r.status == 202;
  CHECK(cancels == 1);
  CHECK(daemon.log().find("cancelled Druid query") != std::string::npos);
  // Nothing of the cancelled page was written; the next sync completes it.
  CHECK(destination_rows(env, "slow").empty());
  env.destination.require_ok(env.sync_once("slow", 20));
  CHECK(destination_rows(env, "slow") == source_rows(env, "slow"));
}

TEST_CASE("a wrong password (401) and a forbidden datasource (403) fail with a message naming the connector") {
  fakes::FakeDruidOptions options;
  options.users = {{"reader", "druid-pass"}};
  DruidEnv env(options);
  create_simple(env.fake, "events");
  create_simple(env.fake, "secret");
  env.fake.append("events", {simple(kT0, "e", 1)});
  env.fake.append("secret", {simple(kT0, "s", 2)});
  env.fake.deny("reader", "secret");

  env.configuration_extra = R"(, "username": "reader", "password": "wrong-secret-xyz")";
  auto start = std::chrono::steady_clock::now();
  auto bad = env.sync_once("events", 10);
  CHECK(bad.exit_code == 1);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK(bad.output.find("drd") != std::string::npos);
  CHECK(bad.output.find("reader") != std::string::npos);
  CHECK(bad.output.find("401") != std::string::npos);
  CHECK(bad.output.find("wrong-secret-xyz") == std::string::npos);
  CHECK(destination_rows(env, "events").empty());

  env.configuration_extra = R"(, "username": "reader", "password": "druid-pass")";
  start = std::chrono::steady_clock::now();
  auto forbidden = env.sync_once("secret", 10);
  CHECK(forbidden.exit_code == 1);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK(forbidden.output.find("drd") != std::string::npos);
  CHECK(forbidden.output.find("403") != std::string::npos);
  CHECK(forbidden.output.find("secret") != std::string::npos);
  CHECK(forbidden.output.find("druid-pass") == std::string::npos);
  CHECK(destination_rows(env, "secret").empty());

  env.destination.require_ok(env.sync_once("events", 10));
  CHECK(destination_rows(env, "events") == source_rows(env, "events"));
}

TEST_CASE("an unknown or unavailable datasource fails that table only; the connector's other datasource syncs") {
  DruidEnv env;
  create_simple(env.fake, "present");
  create_simple(env.fake, "flapping");
  env.fake.append("present", {simple(kT0, "p", 1), simple(kT0 + 1, "p", 2)});
  env.fake.append("flapping", {simple(kT0, "f", 1)});
  auto r = env.sync_once("present,absent", 10);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("absent") != std::string::npos);
  CHECK(destination_rows(env, "present") == source_rows(env, "present"));

  // A datasource that existed and whose segments became unavailable: its synced rows stay.
  env.destination.require_ok(env.sync_once("present,flapping", 10));
  CHECK(destination_rows(env, "flapping") == source_rows(env, "flapping"));
  env.fake.set_available("flapping", false);
  env.fake.append("present", {simple(kT0 + 2, "p", 3)});
  r = env.sync_once("present,flapping", 10);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("flapping") != std::string::npos);
  CHECK(destination_rows(env, "present") == source_rows(env, "present"));
  CHECK(destination_rows(env, "flapping") == source_rows(env, "flapping"));
  env.fake.set_available("flapping", true);
  env.fake.append("flapping", {simple(kT0 + 5, "f", 2)});
  env.destination.require_ok(env.sync_once("present,flapping", 10));
  CHECK(destination_rows(env, "flapping") == source_rows(env, "flapping"));
}

TEST_CASE("a column added between syncs appears in the destination") {
  DruidEnv env;
  create_simple(env.fake, "grow");
  std::vector<DruidRow> rows;
  for (int i = 0; i < 10; ++i) rows.push_back(simple(kT0 + i, "a", i));
  env.fake.append("grow", rows);
  env.destination.require_ok(env.sync_once("grow", 4));
  env.fake.add_column("grow", DruidColumn::float64("extra"));
  env.fake.append("grow", {{kT0 + 100, {text("b"), integer(100), real(2.5)}}});
  env.destination.require_ok(env.sync_once("grow", 4));
  auto dest = env.rows("grow", {"v", "extra"});
  CHECK(dest.size() == 11);
  CHECK(std::count(dest.begin(), dest.end(), cell_int(100) + "|" + cell_real(2.5)) == 1);
  CHECK(std::count(dest.begin(), dest.end(), cell_int(3) + "|" + cell_null()) == 1);
  CHECK(destination_rows(env, "grow") == source_rows(env, "grow"));
}

TEST_CASE("kill -9 at 20 random moments during a 200k-row sync; a final sync gives the exact result") {
  DruidEnv env;
  env.connector_extra = R"(, "lookback": "0s")";  // every restart resumes from its cursor
  env.fake.create_datasource("big", {DruidColumn::varchar("s"), DruidColumn::bigint("v"), DruidColumn::float64("d")});
  std::vector<DruidRow> rows;
  rows.reserve(200000);
  for (int i = 0; i < 200000; ++i)
    rows.push_back({kT0 + (i / 4), {text("r" + std::to_string(i % 13)), integer(i % 1000), real((i % 97) * 0.125)}});
  env.fake.append("big", std::move(rows));
  const int killed_mid_sync = kill9_during_sync(
      env.destination,
      {env.write_config("big", 1000), env.dir.file("daemon.log"), env.status_port, "drd", "big", 195000, 20261124},
      200000);
  CHECK(killed_mid_sync >= 15);  // the kills really interrupted the sync, not an idle daemon
  env.destination.require_ok(env.sync_once("big", 1000));
  auto dest = destination_rows(env, "big");
  CHECK(dest.size() == 200000);
  CHECK(dest == source_rows(env, "big"));
}

TEST_CASE("one daemon runs a QuestDB and a Druid connector: both converge, /status lists both") {
  DruidEnv env;
  create_simple(env.fake, "events");
  fakes::FakeQuestDb questdb;
  REQUIRE(questdb.create_table({"trades", {{"ts", "TIMESTAMP"}, {"v", "LONG"}, {"s", "VARCHAR"}}, "ts"}).ok());
  std::vector<std::string> trades;
  auto add_trades = [&](int from, int to) {
    std::vector<fakes::CellRow> cells;
    for (int i = from; i < to; ++i) {
      const int64_t ts = kT0 * 1000 + i * 1000LL;  // microseconds
      cells.push_back({fakes::Cell(ts), fakes::Cell(int64_t{i}), fakes::Cell("t" + std::to_string(i))});
      trades.push_back(cell_text(format_iso_time(ts, TimeUnit::us)) + "|" + cell_int(i) + "|" +
                       cell_text("t" + std::to_string(i)));
    }
    REQUIRE(questdb.insert("trades", cells).ok());
    std::sort(trades.begin(), trades.end());
  };
  auto add_events = [&](int from, int to) {
    std::vector<DruidRow> rows;
    for (int i = from; i < to; ++i) rows.push_back(simple(kT0 + i / 2, "e" + std::to_string(i), i));
    env.fake.append("events", rows);
  };
  add_trades(0, 500);
  add_events(0, 500);
  const std::string questdb_connector =
      R"({"name": "qdb", "type": "questdb", "sync_every": "1s",
    "configuration": {"host": "127.0.0.1", "port": ")" +
      std::to_string(questdb.port()) + R"(", "tables": "trades", "batch_size": "100", "timeout": "5s"}})";
  std::string config = env.write_config_with(questdb_connector + ",\n    " + env.connector_json("events", 100));
  Daemon daemon(config, env.dir.file("daemon.log"));
  INFO(daemon.log());
  auto trades_rows = [&] { return env.destination.rows("qdb", "trades", {"ts", "v", "s"}); };
  auto converged = [&] {
    return trades_rows() == trades && destination_rows(env, "events") == source_rows(env, "events");
  };
  REQUIRE(eventually(converged, std::chrono::seconds(30)));
  CHECK(trades_rows().size() == 500);
  CHECK(destination_rows(env, "events").size() == 500);

  auto status = http_get(env.status_port, "/status");
  CHECK(status.status == 200);
  CHECK(status.body.find("\"connector\":\"qdb\"") != std::string::npos);
  CHECK(status.body.find("\"table\":\"trades\"") != std::string::npos);
  CHECK(status.body.find("\"connector\":\"drd\"") != std::string::npos);
  CHECK(status.body.find("\"table\":\"events\"") != std::string::npos);

  // Both keep following their sources.
  add_trades(500, 600);
  add_events(500, 650);
  REQUIRE(eventually(converged, std::chrono::seconds(30)));
  CHECK(destination_rows(env, "events").size() == 650);

  CHECK(daemon.terminate(std::chrono::seconds(20)) == 0);
}
