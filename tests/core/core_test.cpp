#include <doctest/doctest.h>

#include "core/core.h"

using namespace tsyncd;

TEST_CASE("ISO timestamps round-trip exactly in every unit") {
  struct Case { const char* text; TimeUnit unit; int64_t value; };
  for (Case c : {Case{"1970-01-01T00:00:00.000000Z", TimeUnit::us, 0},
                 Case{"1970-01-01T00:00:00.000001Z", TimeUnit::us, 1},
                 Case{"1969-12-31T23:59:59.999999Z", TimeUnit::us, -1},
                 Case{"2024-01-01T00:00:00.000000Z", TimeUnit::us, 1704067200000000},
                 Case{"9999-12-31T23:59:59.999999Z", TimeUnit::us, 253402300799999999},
                 Case{"0001-01-01T00:00:00.000000Z", TimeUnit::us, -62135596800000000},
                 Case{"2262-04-11T23:47:16.854775807Z", TimeUnit::ns, INT64_MAX},
                 Case{"1678-01-01T00:00:00.000000001Z", TimeUnit::ns, -9214560000000000000 + 1},
                 Case{"2015-09-12T00:46:58.771Z", TimeUnit::ms, 1442018818771},
                 Case{"1900-01-01T00:00:00.001Z", TimeUnit::ms, -2208988799999}}) {
    CAPTURE(c.text);
    auto parsed = parse_iso_time(c.text, c.unit);
    REQUIRE(parsed.ok());
    CHECK(*parsed == c.value);
    CHECK(format_iso_time(c.value, c.unit) == c.text);
  }
}

TEST_CASE("ISO parsing accepts shorter fractions and rejects what it cannot represent") {
  CHECK(*parse_iso_time("2024-01-01T00:00:00Z", TimeUnit::us) == 1704067200000000);
  CHECK(*parse_iso_time("2024-01-01T00:00:00.5Z", TimeUnit::ms) == 1704067200500);
  CHECK(*parse_iso_time("2024-01-01T00:00:00.123000Z", TimeUnit::ms) == 1704067200123);
  CHECK_FALSE(parse_iso_time("2024-01-01T00:00:00.1234Z", TimeUnit::ms).ok());  // would round
  CHECK_FALSE(parse_iso_time("2024-02-30T00:00:00Z", TimeUnit::us).ok());
  CHECK_FALSE(parse_iso_time("2024-01-01T00:00:00+01:00", TimeUnit::us).ok());
  CHECK_FALSE(parse_iso_time("2024-01-01 00:00:00Z", TimeUnit::us).ok());
  CHECK_FALSE(parse_iso_time("", TimeUnit::us).ok());
  // Druid renders Long.MIN_VALUE millis with a negative 9-digit year.
  auto min = parse_iso_time("-292275055-05-16T16:47:04.192Z", TimeUnit::ms);
  REQUIRE(min.ok());
  CHECK(*min == INT64_MIN);
  CHECK(format_iso_time(INT64_MIN, TimeUnit::ms) == "-292275055-05-16T16:47:04.192Z");
}

TEST_CASE("durations need a unit and format back to the largest exact unit") {
  CHECK(parse_duration("500ms")->count() == 500);
  CHECK(parse_duration("30s")->count() == 30000);
  CHECK(parse_duration("5m")->count() == 300000);
  CHECK(parse_duration("2h")->count() == 7200000);
  CHECK(parse_duration("1d")->count() == 86400000);
  CHECK(parse_duration("0")->count() == 0);
  CHECK_FALSE(parse_duration("30").ok());
  CHECK_FALSE(parse_duration("1.5h").ok());
  CHECK_FALSE(parse_duration("h").ok());
  CHECK(format_duration(Duration(90000)) == "90s");
  CHECK(format_duration(Duration(7200000)) == "2h");
  CHECK(format_duration(Duration(1500)) == "1500ms");
}

TEST_CASE("string helpers") {
  CHECK(split_list(" a, b ,,c ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split_list("").empty());
  CHECK(edit_distance("tables", "tabels") == 2);
  CHECK(edit_distance("batch_size", "batch_size") == 0);
  CHECK(json_quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST_CASE("TimeRange bounds") {
  TimeRange half{10, 20, false};
  CHECK(half.contains(10));
  CHECK_FALSE(half.contains(20));
  TimeRange closed{10, 20, true};
  CHECK(closed.contains(20));
  CHECK(TimeRange{5, 5, false}.empty());
  CHECK_FALSE(TimeRange{5, 5, true}.empty());
}

TEST_CASE("Result carries a value or an error") {
  Result<int> good = 5;
  CHECK(good.ok());
  CHECK(*good == 5);
  Result<int> bad = make_error(ErrorKind::query, "nope");
  CHECK_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::query);
  CHECK(bad.error().with_context("table t").message == "table t: nope");
  Error wait = make_error(ErrorKind::transient, "429");
  wait.retry_after = std::chrono::milliseconds(1500);
  CHECK(wait.with_context("x").retry_after.count() == 1500);
  CHECK(make_error(ErrorKind::transient, "x").retryable());
  CHECK_FALSE(make_error(ErrorKind::auth, "x").retryable());
}
