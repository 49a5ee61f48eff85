// The Druid source against the fake Druid over real loopback HTTP: discovery of every type,
// bounds, paging through heavy ties, extreme timestamps, and every failure the source must retry
// (never returning a bad page) or report with the right kind.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <simdjson.h>

#include "fakes/druid/fake_druid.h"
#include "sources/druid/druid.h"

using namespace tsyncd;
using namespace tsyncd::fakes;

namespace {

int64_t ms(const char* iso) { return parse_iso_time(iso, TimeUnit::ms).value(); }

SourceOptions options_for(int port) {
  SourceOptions o;
  o.type = "druid";
  o.connector = "events";
  o.http.host = "127.0.0.1";
  o.http.port = port;
  o.http.read_timeout = std::chrono::seconds(10);
  o.retry.max_attempts = 4;
  o.retry.initial_backoff = std::chrono::milliseconds(1);
  o.retry.max_backoff = std::chrono::milliseconds(5);
  return o;
}

std::unique_ptr<Source> make(const SourceOptions& o) {
  auto s = make_druid_source(o);
  REQUIRE_MESSAGE(s.ok(), s.error().message);
  return std::move(s).value();
}

template <class T>
T ok(Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return std::move(r).value();
}

Error failed(Result<std::vector<Row>> r) {
  REQUIRE_FALSE(r.ok());
  return r.error();
}

// A datasource with every column type a Druid datasource can have.
void create_types(FakeDruid& druid) {
  druid.create_datasource("types", {DruidColumn::bigint("id"), DruidColumn::varchar("s"), DruidColumn::float32("f"),
                                    DruidColumn::float64("d"), DruidColumn::json("j"),
                                    DruidColumn::array("sa", "STRING"), DruidColumn::array("la", "LONG"),
                                    DruidColumn::varchar("mv"), DruidColumn::complex("h", "COMPLEX<HLLSketch>")});
  const Value null;
  druid.append("types",
               {DruidRow{0, {int64_t{3}, null, null, null, null, null, null, null, null}},
                DruidRow{ms("2026-10-01T00:00:00Z"),
                         {std::numeric_limits<int64_t>::min(), std::string("line\nbreak \"q\" \\ \xC3\xA9 \xF0\x9F\x98\x80"),
                          static_cast<double>(0.1f), std::numeric_limits<double>::quiet_NaN(), std::string("[]"),
                          std::string("[\"a\",null,\"c\"]"), std::string("[-9223372036854775808,1]"),
                          std::string("z"), std::string("\"AgEHDAMIAQD2fr0F\"")}},
                DruidRow{ms("2026-10-01T12:34:56.789Z"),
                         {std::numeric_limits<int64_t>::max(), std::string(), static_cast<double>(3.4e38f),
                          -std::numeric_limits<double>::infinity(), std::string("{\"k\":[1,\"two\",null]}"), null,
                          null, std::string("[\"x\",\"y\"]"), null}}});
}

struct Env {
  explicit Env(FakeDruidOptions options = {}) : druid(options) { create_types(druid); }
  FakeDruid druid;
};

TimeRange everything() { return TimeRange{std::numeric_limits<int64_t>::min() + 1, std::numeric_limits<int64_t>::max(), true}; }

}  // namespace

TEST_CASE("discover maps every Druid type and finds __time") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  TableInfo info = ok(source->discover("types", {}));
  CHECK(info.name == "types");
  CHECK(info.time_unit == TimeUnit::ms);
  CHECK(info.time_index == 0);
  CHECK(info.key_indexes.empty());
  std::vector<std::tuple<std::string, std::string, ColumnType>> got;
  for (const Column& c : info.columns) got.emplace_back(c.name, c.source_type, c.type);
  CHECK(got == std::vector<std::tuple<std::string, std::string, ColumnType>>{
                   {"__time", "TIMESTAMP", ColumnType::timestamp_ms},
                   {"id", "BIGINT", ColumnType::int64},
                   {"s", "VARCHAR", ColumnType::text},
                   {"f", "FLOAT", ColumnType::float32},
                   {"d", "DOUBLE", ColumnType::float64},
                   {"j", "COMPLEX<json>", ColumnType::json},
                   {"sa", "ARRAY<STRING>", ColumnType::json},
                   {"la", "ARRAY<LONG>", ColumnType::json},
                   {"mv", "VARCHAR", ColumnType::text},
                   {"h", "COMPLEX<HLLSketch>", ColumnType::text}});
  CHECK(source->describe() == "druid 127.0.0.1:" + std::to_string(env.druid.port()));
}

TEST_CASE("what tsyncd sends: JSON with typed parameters, UTC, a fresh id, a timeout") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  TableInfo info = ok(source->discover("types", {}));
  ok(source->bounds(info, {}));
  ok(source->read(info, TimeRange{0, ms("2026-10-01T00:00:00Z"), true}, 10, {}));
  auto requests = env.druid.requests();
  REQUIRE(requests.size() == 4);
  std::set<std::string> ids;
  simdjson::dom::parser parser;
  for (const DruidRequestRecord& r : requests) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/druid/v2/sql");
    CHECK(r.status == 200);
    std::vector<std::string> content_types;
    for (const auto& [name, value] : r.headers)
      if (name == "Content-Type") content_types.push_back(value);
    CHECK(content_types == std::vector<std::string>{"application/json"});
    simdjson::dom::element body = parser.parse(r.body);
    CHECK(std::string_view(body["resultFormat"]) == "arrayLines");
    CHECK(bool(body["header"]));
    CHECK(bool(body["typesHeader"]));
    CHECK(bool(body["sqlTypesHeader"]));
    CHECK(std::string_view(body["context"]["sqlTimeZone"]) == "UTC");
    CHECK(int64_t(body["context"]["timeout"]) == 9000);
    ids.insert(std::string(std::string_view(body["context"]["sqlQueryId"])));
  }
  CHECK(ids.size() == 4);
  const std::string& page = requests[3].body;
  CHECK(page.find("\"parameters\":[{\"type\":\"BIGINT\",\"value\":0},{\"type\":\"BIGINT\",\"value\":1790812800000},"
                  "{\"type\":\"INTEGER\",\"value\":10}]") != std::string::npos);
  CHECK(requests[3].query.find("SELECT \"__time\", \"id\", \"s\"") == 0);
}

TEST_CASE("values arrive exactly") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  TableInfo info = ok(source->discover("types", {}));
  std::vector<Row> rows = ok(source->read(info, everything(), 100, {}));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].ts == 0);
  CHECK(rows[0].values[0] == Value(std::string("1970-01-01T00:00:00.000Z")));
  CHECK(rows[0].values[1] == Value(int64_t{3}));
  for (size_t i = 2; i < 10; ++i) CHECK(is_null(rows[0].values[i]));
  const Row& a = rows[1];
  CHECK(a.ts == ms("2026-10-01T00:00:00Z"));
  CHECK(a.values[1] == Value(std::numeric_limits<int64_t>::min()));
  CHECK(a.values[2] == Value(std::string("line\nbreak \"q\" \\ \xC3\xA9 \xF0\x9F\x98\x80")));
  CHECK(std::get<double>(a.values[3]) == static_cast<double>(0.1f));
  CHECK(std::isnan(std::get<double>(a.values[4])));
  CHECK(a.values[5] == Value(std::string("[]")));
  CHECK(a.values[6] == Value(std::string("[\"a\",null,\"c\"]")));
  CHECK(a.values[7] == Value(std::string("[-9223372036854775808,1]")));
  CHECK(a.values[8] == Value(std::string("z")));
  CHECK(a.values[9] == Value(std::string("\"AgEHDAMIAQD2fr0F\"")));
  const Row& b = rows[2];
  CHECK(b.values[0] == Value(std::string("2026-10-01T12:34:56.789Z")));
  CHECK(b.values[1] == Value(std::numeric_limits<int64_t>::max()));
  CHECK(b.values[2] == Value(std::string()));
  CHECK(std::get<double>(b.values[3]) == static_cast<double>(3.4e38f));
  CHECK(std::get<double>(b.values[4]) == -std::numeric_limits<double>::infinity());
  CHECK(b.values[5] == Value(std::string("{\"k\":[1,\"two\",null]}")));
  CHECK(b.values[8] == Value(std::string("[\"x\",\"y\"]")));
}

TEST_CASE("configuration: key columns and the time column") {
  Env env;
  SourceOptions o = options_for(env.druid.port());
  o.key_columns["types"] = {"s", "id"};
  TableInfo info = ok(make(o)->discover("types", {}));
  CHECK(info.key_indexes == std::vector<size_t>{2, 1});

  o.key_columns = {{"*", {"nope"}}};
  auto r = make(o)->discover("types", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::config);
  CHECK(r.error().message.find("'nope'") != std::string::npos);

  o = options_for(env.druid.port());
  o.timestamp_column = "__time";
  CHECK(make_druid_source(o).ok());
  o.timestamp_column = "created_at";
  auto bad = make_druid_source(o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::config);
  CHECK(bad.error().message.find("created_at") != std::string::npos);

  o = options_for(env.druid.port());
  o.http.tls = true;
  CHECK(make(o)->describe() == "druid https://127.0.0.1:" + std::to_string(env.druid.port()));
}

TEST_CASE("an unknown or unavailable datasource is not_found, naming it") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  auto r = source->discover("nope", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message.find("'nope'") != std::string::npos);

  // A datasource INFORMATION_SCHEMA does not list yet (lagging metadata) is found through the
  // datasource itself.
  env.druid.create_datasource("fresh", {DruidColumn::bigint("n"), DruidColumn::array("a", "LONG")});
  env.druid.append("fresh", {DruidRow{5, {int64_t{1}, std::string("[1]")}}});
  env.druid.set_listed("fresh", false);
  TableInfo fresh = ok(source->discover("fresh", {}));
  REQUIRE(fresh.columns.size() == 3);
  CHECK(fresh.columns[2].type == ColumnType::json);
  CHECK(fresh.columns[2].source_type == "ARRAY<LONG>");
  CHECK(ok(source->read(fresh, everything(), 10, {})).size() == 1);

  TableInfo info = ok(source->discover("types", {}));
  env.druid.set_available("types", false);  // e.g. its Historicals are down
  Error e = failed(source->read(info, everything(), 10, {}));
  CHECK(e.kind == ErrorKind::not_found);
  CHECK(e.message.find("datasource 'types'") != std::string::npos);
  CHECK(source->discover("types", {}).error().kind == ErrorKind::not_found);
  env.druid.set_available("types", true);
  CHECK(ok(source->read(info, everything(), 10, {})).size() == 3);
}

TEST_CASE("bounds, and every way Druid says a datasource is empty") {
  for (EmptyAggregates mode : {EmptyAggregates::null_row, EmptyAggregates::no_row, EmptyAggregates::legacy}) {
    FakeDruidOptions o;
    o.empty_aggregates = mode;
    Env env(o);
    auto source = make(options_for(env.druid.port()));
    TableInfo info = ok(source->discover("types", {}));
    std::optional<Bounds> b = ok(source->bounds(info, {}));
    REQUIRE(b);
    CHECK(b->min_ts == 0);
    CHECK(b->max_ts == ms("2026-10-01T12:34:56.789Z"));
    CHECK(b->row_count == 3);
    env.druid.delete_rows("types", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    CHECK_FALSE(ok(source->bounds(info, {})));
  }
}

TEST_CASE("timestamps before 1970 and far in the future") {
  FakeDruid druid;
  druid.create_datasource("far", {DruidColumn::bigint("n")});
  const std::vector<std::pair<const char*, int64_t>> times = {
      {"0001-01-01T00:00:00.000Z", -62135596800000}, {"1900-01-01T00:00:00.000Z", -2208988800000},
      {"1969-12-31T23:59:59.999Z", -1},             {"2200-01-01T00:00:00.000Z", 7258118400000},
      {"9999-12-31T23:59:59.999Z", 253402300799999}, {"10000-01-01T00:00:00.000Z", 253402300800000}};
  for (size_t i = 0; i < times.size(); ++i) druid.append("far", {DruidRow{times[i].second, {static_cast<int64_t>(i)}}});
  auto source = make(options_for(druid.port()));
  TableInfo info = ok(source->discover("far", {}));
  std::optional<Bounds> b = ok(source->bounds(info, {}));
  REQUIRE(b);
  CHECK(b->min_ts == -62135596800000);
  CHECK(b->max_ts == 253402300800000);
  std::vector<Row> rows = ok(source->read(info, TimeRange{b->min_ts, b->max_ts, true}, 1000, {}));
  REQUIRE(rows.size() == times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    CHECK(rows[i].ts == times[i].second);
    CHECK(rows[i].values[0] == Value(std::string(times[i].first)));
  }
}

namespace {

// The page loop of architecture section 4, reduced to reading: pages ordered by time; a full
// page keeps only rows before its last timestamp; a page that is one tie group is re-read whole.
std::vector<Row> read_all(Source& source, const TableInfo& info, int64_t lo, int64_t hi, size_t page_size,
                          int* tie_group_reads) {
  std::vector<Row> out;
  while (true) {
    std::vector<Row> page = ok(source.read(info, TimeRange{lo, hi, true}, page_size, {}));
    if (page.size() < page_size) {
      out.insert(out.end(), page.begin(), page.end());
      return out;
    }
    const int64_t t = page.back().ts;
    if (page.front().ts == t) {
      std::vector<Row> group = ok(source.read(info, TimeRange{t, t, true}, 0, {}));
      ++*tie_group_reads;
      out.insert(out.end(), group.begin(), group.end());
      if (t == hi) return out;
      lo = t + 1;
      continue;
    }
    for (Row& r : page)
      if (r.ts < t) out.push_back(std::move(r));
    lo = t;
  }
}

}  // namespace

TEST_CASE("paging through heavy ties returns every row exactly once") {
  FakeDruid druid;  // ties come back in a different order on every read
  druid.create_datasource("ticks", {DruidColumn::bigint("n"), DruidColumn::varchar("s")});
  const int64_t t0 = ms("2024-01-01T00:00:00Z");
  std::vector<DruidRow> rows;
  int64_t n = 0;
  for (int i = 0; i < 1500; ++i, ++n) rows.push_back(DruidRow{t0 + i / 3, {n, std::string("before")}});
  for (int i = 0; i < 25000; ++i, ++n) rows.push_back(DruidRow{t0 + 1000, {n, std::string("tie")}});
  for (int i = 0; i < 1500; ++i, ++n) rows.push_back(DruidRow{t0 + 2000 + i / 7, {n, std::string("after")}});
  // Identical rows stay as many as they are.
  for (int i = 0; i < 3; ++i) rows.push_back(DruidRow{t0 + 2000, {int64_t{-1}, std::string("same")}});
  druid.append("ticks", rows);

  auto source = make(options_for(druid.port()));
  TableInfo info = ok(source->discover("ticks", {}));
  std::optional<Bounds> b = ok(source->bounds(info, {}));
  REQUIRE(b);
  int tie_group_reads = 0;
  std::vector<Row> got = read_all(*source, info, b->min_ts, b->max_ts, 1000, &tie_group_reads);
  CHECK(tie_group_reads == 1);
  std::multiset<std::pair<int64_t, int64_t>> want_set, got_set;
  for (const DruidRow& r : rows) want_set.insert({r.time, std::get<int64_t>(r.values[0])});
  for (const Row& r : got) got_set.insert({r.ts, std::get<int64_t>(r.values[1])});
  CHECK(got.size() == rows.size());
  CHECK(got_set == want_set);
  for (size_t i = 1; i < got.size(); ++i) REQUIRE(got[i - 1].ts <= got[i].ts);

  // The tie group was read by equality, without ORDER BY or LIMIT; pages were time-ordered.
  size_t equality_reads = 0;
  for (const DruidRequestRecord& r : druid.requests()) {
    if (r.query.find("\"__time\" = MILLIS_TO_TIMESTAMP(?)") != std::string::npos) {
      ++equality_reads;
      CHECK(r.query.find("ORDER BY") == std::string::npos);
      CHECK(r.query.find("LIMIT") == std::string::npos);
    }
  }
  CHECK(equality_reads == 1);

  // An unlimited read of a range comes back sorted by time.
  std::vector<Row> range = ok(source->read(info, TimeRange{t0, t0 + 2000, false}, 0, {}));
  CHECK(range.size() == 1500 + 25000);
  CHECK(std::is_sorted(range.begin(), range.end(), [](const Row& x, const Row& y) { return x.ts < y.ts; }));
}

TEST_CASE("a page above Druid's ordering limit is refused before it is sent") {
  FakeDruid druid;
  druid.create_datasource("m", {DruidColumn::bigint("n")});
  druid.append("m", {DruidRow{1, {int64_t{1}}}});
  auto source = make(options_for(druid.port()));
  TableInfo info = ok(source->discover("m", {}));
  CHECK(ok(source->read(info, everything(), druid::kMaxPageRows, {})).size() == 1);
  druid.clear_requests();
  Error e = failed(source->read(info, everything(), druid::kMaxPageRows + 1, {}));
  CHECK(e.kind == ErrorKind::config);
  CHECK(druid.request_count() == 0);
}

TEST_CASE("incomplete answers are retried and never returned") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  TableInfo info = ok(source->discover("types", {}));
  struct Case {
    const char* name;
    FaultSpec fault;
    const char* message;  // in the error when the fault outlasts the retries
  };
  const std::vector<Case> cases = {
      {"truncated after rows", FaultSpec::truncate_after(2), "incomplete"},
      {"truncated before rows", FaultSpec::truncate_after(0), "incomplete"},
      {"missing terminator", FaultSpec(DruidFault::missing_terminator), "incomplete"},
      {"missing segments", FaultSpec(DruidFault::missing_segments), "missingSegments"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    env.druid.clear_requests();
    env.druid.arm(c.fault);
    std::vector<Row> rows = ok(source->read(info, everything(), 100, {}));
    CHECK(rows.size() == 3);
    CHECK(env.druid.request_count() == 2);

    FaultSpec persistent = c.fault;
    persistent.times = 100;
    env.druid.arm(persistent);
    Error e = failed(source->read(info, everything(), 100, {}));
    CHECK(e.kind == ErrorKind::protocol);
    CHECK(e.message.find(c.message) != std::string::npos);
    CHECK(e.message.find("4 attempts") != std::string::npos);
    env.druid.clear_faults();
  }
}

TEST_CASE("server trouble is retried: 429, 502, 503, 504, 500 runtime failures, closed connections") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  TableInfo info = ok(source->discover("types", {}));
  FaultSpec capacity(DruidFault::capacity_429);
  capacity.retry_after_s = 1;
  FaultSpec slow(DruidFault::delay);
  slow.delay_ms = 50;
  for (const FaultSpec& f : {capacity, FaultSpec(DruidFault::bad_gateway_502), FaultSpec(DruidFault::unavailable_503),
                             FaultSpec(DruidFault::timeout_504), FaultSpec(DruidFault::runtime_failure_500),
                             FaultSpec(DruidFault::close_connection), slow}) {
    CAPTURE(static_cast<int>(f.kind));
    env.druid.clear_requests();
    env.druid.arm(f);
    const auto start = std::chrono::steady_clock::now();
    CHECK(ok(source->read(info, everything(), 100, {})).size() == 3);
    CHECK(env.druid.request_count() == (f.kind == DruidFault::delay ? 1u : 2u));
    if (f.kind == DruidFault::capacity_429)  // Retry-After was honoured
      CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(1));
  }
  // Discovery and bounds retry the same way.
  env.druid.arm(FaultSpec(DruidFault::timeout_504, 2));
  CHECK(ok(source->discover("types", {})).columns.size() == 10);
  env.druid.arm(FaultSpec(DruidFault::truncate_after_rows));
  CHECK(ok(source->bounds(info, {})));
}

TEST_CASE("500 UNCATEGORIZED is retried a few times, then reported with Druid's message") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  TableInfo info = ok(source->discover("types", {}));
  env.druid.arm(FaultSpec(DruidFault::uncategorized_500, 2));
  CHECK(ok(source->read(info, everything(), 100, {})).size() == 3);

  env.druid.clear_requests();
  env.druid.arm(FaultSpec(DruidFault::uncategorized_500, 100));
  Error e = failed(source->read(info, everything(), 100, {}));
  CHECK(e.kind == ErrorKind::query);
  CHECK(e.message.find("/ by zero") != std::string::npos);
  CHECK(env.druid.request_count() == 3);
}

TEST_CASE("401 and 403 are auth errors naming the connector and the user, never the password") {
  FakeDruidOptions o;
  o.users = {{"reader", "right"}};
  Env env(o);
  SourceOptions so = options_for(env.druid.port());
  so.http.username = "reader";
  so.http.password = "wrong-secret";
  Error e = make(so)->discover("types", {}).error();
  CHECK(e.kind == ErrorKind::auth);
  CHECK(e.message.find("'events'") != std::string::npos);
  CHECK(e.message.find("'reader'") != std::string::npos);
  CHECK(e.message.find("wrong-secret") == std::string::npos);
  CHECK(e.message.find("<html") == std::string::npos);
  CHECK(env.druid.request_count() == 1);  // not retried

  so.http.username.clear();
  so.http.password.clear();
  e = make(so)->discover("types", {}).error();
  CHECK(e.kind == ErrorKind::auth);
  CHECK(e.message.find("no username") != std::string::npos);

  so.http.username = "reader";
  so.http.password = "right";
  auto source = make(so);
  TableInfo info = ok(source->discover("types", {}));
  env.druid.deny("reader", "types");
  // INFORMATION_SCHEMA hides a forbidden datasource; the datasource itself answers 403.
  e = source->discover("types", {}).error();
  CHECK(e.kind == ErrorKind::auth);
  CHECK(e.message.find("403") != std::string::npos);
  CHECK(e.message.find("datasource 'types'") != std::string::npos);
  e = failed(source->read(info, everything(), 10, {}));
  CHECK(e.kind == ErrorKind::auth);
  CHECK(e.message.find("'reader'") != std::string::npos);
  CHECK(e.message.find("datasource 'types'") != std::string::npos);
}

TEST_CASE("a schema change between discoveries is noticed, never misread") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  TableInfo before = ok(source->discover("types", {}));
  CHECK(ok(source->read(before, everything(), 10, {})).size() == 3);

  env.druid.add_column("types", DruidColumn::bigint("added_later"));
  env.druid.append("types", {DruidRow{ms("2026-10-02T00:00:00Z"),
                                      {int64_t{4}, Value(), Value(), Value(), Value(), Value(), Value(), Value(),
                                       Value(), int64_t{42}}}});
  // The old schema still reads what it names (columns are listed explicitly)...
  std::vector<Row> old_rows = ok(source->read(before, everything(), 10, {}));
  REQUIRE(old_rows.size() == 4);
  CHECK(old_rows[3].values.size() == before.columns.size());

  // ...and the next discovery picks the new column up.
  TableInfo after = ok(source->discover("types", {}));
  REQUIRE(after.columns.size() == before.columns.size() + 1);
  CHECK(after.columns.back().name == "added_later");
  std::vector<Row> rows = ok(source->read(after, everything(), 10, {}));
  REQUIRE(rows.size() == 4);
  CHECK(is_null(rows[0].values.back()));
  CHECK(rows[3].values.back() == Value(int64_t{42}));

  // A column whose type changed (BIGINT -> DOUBLE) fails the read instead of converting it.
  env.druid.create_datasource("types", {DruidColumn::float64("id")});
  env.druid.append("types", {DruidRow{1, {1.5}}});
  TableInfo id_only = before;
  id_only.columns.resize(2);
  Error e = failed(source->read(id_only, everything(), 10, {}));
  CHECK(e.kind == ErrorKind::protocol);
  CHECK(e.message.find("column 'id' is now DOUBLE") != std::string::npos);
}

TEST_CASE("chunk versions from sys.segments: one per interval, changed by appends, rewrites and drops") {
  Env env;
  auto source = make(options_for(env.druid.port()));
  TableInfo info = ok(source->discover("types", {}));
  const int64_t day = 86400000;
  const int64_t oct1 = ms("2026-10-01T00:00:00Z");
  auto listed = [&] {
    auto chunks = ok(source->chunk_versions(info, {}));
    REQUIRE(chunks.has_value());
    std::map<std::pair<int64_t, int64_t>, std::string> out;
    for (const ChunkVersion& c : *chunks) out[{c.start, c.end}] = c.version;
    return out;
  };
  auto before = listed();
  REQUIRE(before.size() == 2);
  REQUIRE(before.count({0, day}) == 1);
  REQUIRE(before.count({oct1, oct1 + day}) == 1);
  // What was sent: sys.segments of this datasource only, active segments only, as a typed parameter.
  bool sent = false;
  for (const auto& r : env.druid.requests())
    if (r.query.find("sys.segments") != std::string::npos) {
      sent = true;
      CHECK(r.query == "SELECT \"start\", \"end\", \"version\", \"partition_num\" FROM sys.segments "
                       "WHERE \"datasource\" = ? AND \"is_active\" = 1");
      CHECK(r.body.find(R"("parameters":[{"type":"VARCHAR","value":"types"}])") != std::string::npos);
    }
  CHECK(sent);

  // An append adds a partition under the same Druid version: still a different chunk version here.
  const Value null;
  env.druid.append("types", {DruidRow{oct1 + 5, {int64_t{7}, null, null, null, null, null, null, null, null}}});
  auto appended = listed();
  CHECK(appended.at({0, day}) == before.at({0, day}));
  CHECK(appended.at({oct1, oct1 + day}) != before.at({oct1, oct1 + day}));
  // A compaction of that day rewrites it again.
  env.druid.compact("types", oct1, oct1 + day, {});
  auto compacted = listed();
  CHECK(compacted.at({oct1, oct1 + day}) != appended.at({oct1, oct1 + day}));
  CHECK(compacted.at({0, day}) == before.at({0, day}));
  // A day whose rows are all gone has no segment any more.
  env.druid.delete_rows("types", 0, day);
  auto dropped = listed();
  CHECK(dropped.count({0, day}) == 0);
  CHECK(dropped.size() == 1);
}
